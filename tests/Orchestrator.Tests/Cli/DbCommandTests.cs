using System.Diagnostics;
using RnnSweep.Orchestrator.Tests.Support;

namespace RnnSweep.Orchestrator.Tests.Cli;

/// <summary>
/// Commands stop the private PostgreSQL they start; 'rnnsweep db start' keeps it running (and the commands then leave
/// it alone) until 'rnnsweep db stop'. Each command is its own process, as a user types them.
/// </summary>
// Slow: starts and stops private PostgreSQL servers through the CLI (about 3 minutes under load).
[Trait("Category", "Slow")]
public sealed class DbCommandTests
{
    [Fact]
    public async Task Commands_StopTheServerTheyStart_DbStartKeepsItUntilDbStop()
    {
        var home = CliProcess.FreshHome("db-command");
        var postmasterPid = Path.Combine(home, "postgres", "postmaster.pid");

        var (exit, text) = await RunAsync(home, "status");
        Assert.True(exit == 0, text);
        Assert.Contains("Creating the private PostgreSQL", text, StringComparison.Ordinal);
        Assert.Matches(@"Created the private PostgreSQL database \(\d+ s\)\.", text);
        Assert.Contains("No sweeps yet", text, StringComparison.Ordinal);
        Assert.False(File.Exists(postmasterPid), "status left the server it started running");

        (exit, text) = await RunAsync(home, "table", "1");
        Assert.Equal(2, exit);
        Assert.Contains("no sweep 1", text, StringComparison.Ordinal);
        Assert.False(File.Exists(postmasterPid), "table left the server it started running");

        (exit, text) = await RunAsync(home, "db", "status");
        Assert.Contains("is not running", text, StringComparison.Ordinal);

        (exit, text) = await RunAsync(home, "db", "start");
        Assert.True(exit == 0, text);
        Assert.Matches(@"psql postgresql://rnnsweep@127\.0\.0\.1:\d+/rnnsweep", text);
        Assert.True(File.Exists(postmasterPid));

        // The allocator variable is checked even when the server runs already, and a valid one says it does not apply.
        (exit, text) = await RunAsync(home, new Dictionary<string, string> { ["RNNSWEEP_ALLOCATOR"] = "jemalloc" }, "db", "start");
        Assert.Equal(2, exit);
        Assert.Contains("RNNSWEEP_ALLOCATOR: must be tcmalloc or glibc, not 'jemalloc'", text, StringComparison.Ordinal);
        (exit, text) = await RunAsync(home, new Dictionary<string, string> { ["RNNSWEEP_ALLOCATOR"] = "glibc" }, "db", "start");
        Assert.True(exit == 0, text);
        Assert.Contains("'rnnsweep db stop' first for RNNSWEEP_ALLOCATOR to apply", text, StringComparison.Ordinal);

        (exit, text) = await RunAsync(home, "status");
        Assert.True(exit == 0, text);
        Assert.True(File.Exists(postmasterPid), "status stopped a server it did not start");
        (_, text) = await RunAsync(home, "db", "status");
        Assert.Matches(@"runs on port \d+", text);

        (exit, text) = await RunAsync(home, "db", "stop");
        Assert.True(exit == 0, text);
        Assert.Contains("Stopped the private PostgreSQL", text, StringComparison.Ordinal);
        Assert.False(File.Exists(postmasterPid));
        Assert.Empty(CliProcess.ProcessesWith(Path.Combine(home, "postgres")));
        (_, text) = await RunAsync(home, "db", "stop");
        Assert.Contains("is not running", text, StringComparison.Ordinal);
    }

    private static Task<(int Exit, string Output)> RunAsync(string home, params string[] args) => RunAsync(home, new Dictionary<string, string>(), args);

    private static async Task<(int Exit, string Output)> RunAsync(string home, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        await using var cli = CliProcess.Start(home, inTerminal: false, environment, args);
        var (exit, _) = await cli.WaitForExitAsync(TimeSpan.FromMinutes(2), Stopwatch.StartNew());
        return (exit, cli.Output);
    }
}
