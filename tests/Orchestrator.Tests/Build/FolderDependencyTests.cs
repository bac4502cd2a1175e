using System.Text.RegularExpressions;
using RnnSweep.Orchestrator.Tests.Support;

namespace RnnSweep.Orchestrator.Tests.Build;

/// <summary>
/// The folders' plan (docs/architecture.md#where-the-code-lives): the local cluster sits below the command line and
/// the bench, the command line does not reach into the bench, and the Worker's stores do not reach into its jobs.
/// Checked on the sources' using directives and qualified names, so a new file cannot quietly undo it.
/// </summary>
public sealed class FolderDependencyTests
{
    [Theory]
    [InlineData("src/Orchestrator/LocalCluster", "RnnSweep.Orchestrator.Cli")]
    [InlineData("src/Orchestrator/LocalCluster", "RnnSweep.Orchestrator.Bench")]
    [InlineData("src/Orchestrator/Cli", "RnnSweep.Orchestrator.Bench")]
    [InlineData("src/Worker/Stores", "RnnSweep.Worker.Jobs")]
    [InlineData("src/Worker/Stores", "RnnSweep.Worker.Hosting")]
    [InlineData("src/Shared", "RnnSweep.Orchestrator")]
    [InlineData("src/Shared", "RnnSweep.Worker")]
    public void Folder_DoesNotUse_Namespace(string folder, string forbidden)
    {
        var directory = Path.Combine(TestPaths.RepoRoot, folder);
        Assert.True(Directory.Exists(directory), $"{folder} is missing");
        var last = forbidden[(forbidden.LastIndexOf('.') + 1)..];
        // "using RnnSweep.Orchestrator.Cli;", "RnnSweep.Orchestrator.Cli.X" or, from inside RnnSweep.Orchestrator, "Cli.X".
        var use = new Regex($@"\b{Regex.Escape(forbidden)}\b|(?<![\w.]){Regex.Escape(last)}\.[A-Z]\w*\.");
        var offenders = Directory.EnumerateFiles(directory, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs") || f.EndsWith(".razor"))
            .Where(f => !f.Contains("/bin/") && !f.Contains("/obj/"))
            .Where(f => File.ReadLines(f).Any(line => !line.TrimStart().StartsWith("//") && !line.TrimStart().StartsWith("///") && use.IsMatch(line)))
            .Select(f => Path.GetRelativePath(TestPaths.RepoRoot, f))
            .ToList();
        Assert.True(offenders.Count == 0, $"{folder} uses {forbidden}: {string.Join(", ", offenders)}");
    }
}
