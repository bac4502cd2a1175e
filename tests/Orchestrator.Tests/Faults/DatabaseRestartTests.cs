using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Faults;

/// <summary>PostgreSQL stops and starts again in the middle of a sweep: the Orchestrator and the Worker reconnect.</summary>
[Trait("Category", "WorkerProcess")]
[Collection(DatabaseCollection.Name)]
public sealed class DatabaseRestartTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task DatabaseRestart_DuringASweep_LosesNothing()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        await using var worker = WorkerProcess.Start(host.ConnectionString, "w", FaultSweep.FastTakeover);
        try
        {
            var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("restart", ["lstm", "gru"]));
            await SweepWaiter.UntilEpochsAsync(host.Db, sweep, 1, TimeSpan.FromMinutes(2), () => worker.Output);

            await postgres.Server.StopServerAsync();
            await Task.Delay(TimeSpan.FromSeconds(4)); // the worker finishes an epoch or two with nowhere to write
            await postgres.Server.StartServerAsync();
            Npgsql.NpgsqlConnection.ClearAllPools(); // this process's pools hold connections to the old server

            var runs = await SweepWaiter.UntilFinishedAsync(host.Db, sweep, TimeSpan.FromMinutes(3), () => worker.Output);
            Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
            foreach (var run in runs)
            {
                Assert.Equal(Enumerable.Range(1, FaultSweep.Epochs), (await FaultSweep.EpochsAsync(host, run.Id)).Select(m => m.Epoch));
                Assert.NotNull(run.TestLoss);
            }
            Assert.Contains("Database unavailable", worker.Output); // the restart really was seen
            using var api = await host.Http.GetAsync($"/api/sweeps/{sweep}");
            Assert.True(api.IsSuccessStatusCode, "the Orchestrator did not reconnect");
        }
        finally
        {
            worker.WriteTo(output);
        }
    }
}
