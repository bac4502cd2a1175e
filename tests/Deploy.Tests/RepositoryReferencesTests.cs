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
    public void CheckDocs_Fails_OnEveryKindOfBrokenReference_NamingFileAndLine()
    {
        // One fixture holding every break, so the script runs once (it takes seconds on a loaded machine).
        Write($"{Docs}/more.md", string.Join('\n', "# More", "",
            "See [the plan](plan.md).",
            "See [the guide](guide.md#no-such-section).",
            "See [a heading in a code block](guide.md#not-a-heading).",
            "See [outside](../../elsewhere/notes.md).", ""));
        Write("src/Lease.cs", $"namespace X;\n/// <summary>Why: {Docs}/missing.md and {Docs}/guide.md#the-engine.</summary>\nclass Lease;\n");
        string[] machinePaths = ["/" + "work/shared/docs/notes.md", "/" + "home/alice/rnnsweep/data", "/" + "root/.nuget/packages",
            "/" + "Users/alice/src", "C:" + @"\Users\alice\src"];
        Write("scripts/setup.sh", "#!/bin/sh\n" + string.Concat(machinePaths.Select(p => $"cp corpus.txt \"{p}\"\n")));
        var beside = ".." + "/shared/data/tinyshakespeare.txt"; // the workspace folder next to the repository
        Write("scripts/run.sh", $"#!/bin/sh\n./rnnsweep sweep --data-dir {Path.GetDirectoryName(beside)}\n");

        var result = CheckDocs.Run(_fixture);

        Assert.Equal(1, result.ExitCode);
        string[] expected =
        [
            $"{Docs}/more.md:3: no such file: {Docs}/plan.md",
            $"{Docs}/more.md:4: {Docs}/guide.md has no section #no-such-section",
            $"{Docs}/more.md:5: {Docs}/guide.md has no section #not-a-heading",
            $"{Docs}/more.md:6: points outside the repository",
            $"src/Lease.cs:2: no such file: {Docs}/missing.md",
            $"src/Lease.cs:2: {Docs}/guide.md has no section #the-engine",
            .. machinePaths.Select((p, i) => $"scripts/setup.sh:{i + 2}: names a build machine's path ({p})"),
            $"scripts/run.sh:2: points outside the repository ({Path.GetDirectoryName(beside)})",
        ];
        foreach (var line in expected) Assert.True(result.Stderr.Contains(line, StringComparison.Ordinal), $"missing: {line}\n{result}");
        Assert.Contains($"check-docs: {expected.Length} problem(s)", result.Stderr);
    }

    [Fact]
    public void CheckDocs_Passes_ValidLinksAndSections_SystemAndContainerPaths_UrlsAndRelativePaths()
    {
        Write("scripts/setup.sh", string.Join('\n',
            "/usr/bin/chromium --headless", "cat /etc/os-release /tmp/rnnsweep-worker-health", "ls ../work ~/work $HOME/work",
            "curl https://example.org/" + "home/alice/" + " https://example.org/" + "work/x", "mount /data /app /opt/x /var/lib/postgresql"));
        Write("deploy/Dockerfile.worker", "FROM debian:12\nRUN ls /" + "root/.nuget /" + "home/app\n");
        Write("deploy/k8s/worker.yaml", "mountPath: /" + "home/app/cache\n");

        var result = CheckDocs.Run(_fixture);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("check-docs: ok (3 Markdown links, 2 docs/ references", result.Stdout);
    }

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_fixture, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    public void Dispose() => Directory.Delete(_fixture, recursive: true);
}
