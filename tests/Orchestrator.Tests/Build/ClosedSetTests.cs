using System.Diagnostics;
using RnnSweep.Orchestrator.Tests.Support;

namespace RnnSweep.Orchestrator.Tests.Build;

/// <summary>
/// Run statuses and checkpoint kinds are spelled once, by their types (RunStatus, CheckpointKind; SQL check
/// constraints are generated from them); and one file changes a run's status. Checked with <c>git grep</c> over the
/// tracked sources, so a new literal or a second writer fails the suite.
/// </summary>
public sealed class ClosedSetTests
{
    [Fact]
    public void NoRunStatusLiteral_OutsideItsTypeAndTheMigrations()
    {
        var hits = Grep("['\"`](queued|running|succeeded|failed|diverged|cancelled)['\"`]", "*.cs", "*.js", "*.sql")
            .Where(h => !h.StartsWith("src/Shared/Domain/RunStatus.cs:", StringComparison.Ordinal))
            // The count the cancel endpoint returns is a field of its response named like the status, not a run status.
            .Where(h => !h.Contains("GetProperty(\"cancelled\")", StringComparison.Ordinal))
            .ToList();
        Assert.True(hits.Count == 0, "run status literals outside RunStatus:\n" + string.Join("\n", hits));
    }

    [Fact]
    public void NoCheckpointKindLiteral_OutsideItsTypeAndTheMigrations()
    {
        var hits = Grep("['\"](latest|best)['\"]", "*.cs", "*.sql")
            .Where(h => !h.StartsWith("src/Shared/Domain/CheckpointKind.cs:", StringComparison.Ordinal))
            // The loss table view named best (the run validation chose) is spelled once, by LossTableViews, and is no checkpoint kind.
            .Where(h => !(h.StartsWith("src/Orchestrator/Sweeps/LossTable.cs:", StringComparison.Ordinal) && h.Contains("public const string Best", StringComparison.Ordinal)))
            .ToList();
        Assert.True(hits.Count == 0, "checkpoint kind literals outside CheckpointKind:\n" + string.Join("\n", hits));
    }

    [Fact]
    public void OnlyTheStateMachine_ChangesARunsStatus()
    {
        var hits = Grep(@"[Ss][Ee][Tt][[:space:]]+status[[:space:]]*=|SetProperty\([[:space:]]*[a-z]+[[:space:]]*=>[[:space:]]*[a-z]+\.Status|copy runs", "*.cs")
            .Where(h => h.StartsWith("src/", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(hits); // the pattern does find the state machine's own updates
        Assert.All(hits, h => Assert.StartsWith("src/Shared/Runs/RunLife.cs:", h, StringComparison.Ordinal));
    }

    /// <summary><c>git grep -n -E pattern</c> over tracked files matching the globs, outside migrations/; "path:line:text" per hit.</summary>
    private static List<string> Grep(string pattern, params string[] globs)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = TestPaths.RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "grep", "-n", "-E", pattern, "--" }.Concat(globs).Append(":!migrations")) psi.ArgumentList.Add(arg);
        using var git = Process.Start(psi)!;
        var stdout = git.StandardOutput.ReadToEnd();
        var stderr = git.StandardError.ReadToEnd();
        git.WaitForExit();
        Assert.True(git.ExitCode is 0 or 1, $"git grep failed ({git.ExitCode}): {stderr}"); // 1: no match
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
