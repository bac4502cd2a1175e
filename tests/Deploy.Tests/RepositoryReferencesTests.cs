using RnnSweep.Deploy.Tests.Support;

namespace RnnSweep.Deploy.Tests;

/// <summary>
/// The repository points only inside itself: its Markdown links and docs references resolve, and no file names a
/// build machine's path (scripts/check-docs.sh says what counts and why). The fixture tests prove the script can fail.
/// Paths a rule would flag are spelled in pieces here ("/" + "work/..."), or this file would break the check it tests.
/// </summary>
public sealed class RepositoryReferencesTests : IDisposable
{
    private const string Docs = "docs";
    private readonly string _fixture = Directory.CreateTempSubdirectory("rnnsweep-check-docs-").FullName;

    public RepositoryReferencesTests()
    {
        Write($"{Docs}/guide.md", "# Guide\n\n## The engine, and why\n\nText.\n\n```bash\n# not a heading\n```\n");
        Write("README.md", $"# Project\n\nSee [the guide]({Docs}/guide.md#the-engine-and-why), [the site](https://example.org/x) and [src](src/).\n");
        Write("src/Job.cs", $"// why: see {Docs}/guide.md#the-engine-and-why\nclass Job {{ string Browser = \"/usr/bin/chromium\"; }}\n");
    }

    [Fact]
    public void Repository_HasNoBrokenDocsReference_NorBuildMachinePath()
    {
        var result = CheckDocs.Run(Repository.Root);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("check-docs: ok", result.Stdout);
    }

    [Fact]
    public void CheckDocs_Passes_OnTheFixture()
    {
        var result = CheckDocs.Run(_fixture);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Theory]
    [InlineData("[the plan](plan.md)", "no such file: {0}/plan.md")]
    [InlineData("[the guide](guide.md#no-such-section)", "{0}/guide.md has no section #no-such-section")]
    [InlineData("[a heading in a code block](guide.md#not-a-heading)", "{0}/guide.md has no section #not-a-heading")]
    [InlineData("[outside](../../elsewhere/notes.md)", "points outside the repository")]
    public void CheckDocs_Fails_WhenAMarkdownLinkPointsNowhere(string link, string expected)
    {
        Write($"{Docs}/more.md", $"# More\n\nSee {link}.\n");

        var result = CheckDocs.Run(_fixture);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{Docs}/more.md:3: {string.Format(expected, Docs)}", result.Stderr);
    }

    [Theory]
    [InlineData("missing.md", "no such file: {0}/missing.md")]
    [InlineData("guide.md#the-engine", "{0}/guide.md has no section #the-engine")]
    public void CheckDocs_Fails_WhenACodeReferenceNamesAMissingDocOrSection(string reference, string expected)
    {
        Write("src/Lease.cs", $"namespace X;\n/// <summary>Why: {Docs}/{reference}.</summary>\nclass Lease;\n");

        var result = CheckDocs.Run(_fixture);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"src/Lease.cs:2: {string.Format(expected, Docs)}", result.Stderr);
    }

    [Theory]
    [InlineData("/", "work/shared/docs/notes.md")]
    [InlineData("/", "home/alice/rnnsweep/data")]
    [InlineData("/", "root/.nuget/packages")]
    [InlineData("/", "Users/alice/src")]
    [InlineData("C:", @"\Users\alice\src")]
    public void CheckDocs_Fails_WhenAFileNamesABuildMachinePath(string start, string rest)
    {
        var path = start + rest;
        Write("scripts/setup.sh", $"#!/bin/sh\ncp corpus.txt \"{path}\"\n");

        var result = CheckDocs.Run(_fixture);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"scripts/setup.sh:2: names a build machine's path ({path})", result.Stderr);
    }

    [Fact]
    public void CheckDocs_Allows_SystemPaths_ContainerFolders_UrlsAndRelativePaths()
    {
        Write("scripts/setup.sh", string.Join('\n',
            "/usr/bin/chromium --headless", "cat /etc/os-release /tmp/rnnsweep-worker-health", "ls ../work ~/work $HOME/work",
            "curl https://example.org/" + "home/alice/" + " https://example.org/" + "work/x", "mount /data /app /opt/x /var/lib/postgresql"));
        Write("deploy/Dockerfile.worker", "FROM debian:12\nRUN ls /" + "root/.nuget /" + "home/app\n");
        Write("deploy/k8s/worker.yaml", "mountPath: /" + "home/app/cache\n");

        var result = CheckDocs.Run(_fixture);

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_fixture, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    public void Dispose() => Directory.Delete(_fixture, recursive: true);
}
