using System.Globalization;
using System.Text.RegularExpressions;
using RnnSweep.Orchestrator.Bench;
using RnnSweep.Orchestrator.Tests.Support;

namespace RnnSweep.Orchestrator.Tests.Cluster;

/// <summary>The bench's Worker-memory part (issue 19, item 3) on a real Worker process: it ends, and reads each run's peak.</summary>
public sealed class WorkerMemoryBenchTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    /// <summary>
    /// Each run is read once its analysis job has ended. The part once waited for the analysis's work_jobs row to show
    /// a succeeded job; the row is deleted with the stored analysis, so the wait never ended and the part timed out.
    /// </summary>
    [Fact]
    [Trait("Category", "WorkerProcess")]
    public async Task TwoRuns_AreEachReadOnceAnalysed()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var report = new BenchReport();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(10)); // 49 s alone; over 4 minutes once beside two other agents' sweeps
        await WorkerMemoryBench.RunAsync(report, orchestrator.App, connection, runs: 2, epochs: 1, limit.Token);

        var row = Assert.Single(report.Rows);
        Assert.Equal("7 memory", row.Section);
        var peaks = Regex.Match(row.How, @"VmHWM after each run: ([0-9.]+) / ([0-9.]+) GB");
        Assert.True(peaks.Success, row.How);
        var (first, last) = (double.Parse(peaks.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(peaks.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.InRange(first, 0.1, 4);          // a Worker that trained an LSTM 2x128, in GB
        Assert.True(last >= first, row.How);      // a peak never falls
        Assert.InRange(row.Value, last / first - 0.01, last / first + 0.01); // the figure is the ratio of the two peaks printed
    }
}
