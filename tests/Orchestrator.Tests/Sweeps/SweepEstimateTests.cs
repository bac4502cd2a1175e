using System.Net.Http.Json;
using Npgsql;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Orchestrator.Tests.Support;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Sweeps;

/// <summary>
/// A sweep's estimated time to finish against the time it really took, on a real Worker process whose epochs wait
/// their estimated cost (Worker:SimulatedSecondsPerCost), so the figure depends on the estimator, not on how loaded
/// the machine is. All times are the database's; the check is a ratio, so it holds on a faster or slower machine.
/// </summary>
[Trait("Category", "WorkerProcess")]
[Collection(DatabaseCollection.Name)]
public sealed class SweepEstimateTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task Estimate_OnceAThirdOfTheEpochsAreDone_IsWithin30PercentOfTheRealTimeLeft()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        // Three seeds of one cell, 6 epochs each: 18 epochs of 0.8 s on one Worker, about 15 s of simulated work.
        var (sweepId, secondsPerCost) = await SimulatedSweep.SubmitAsync(orchestrator, "estimate", "estimate", seeds: 3, epochs: 6, epochSeconds: 0.8);
        var before = await orchestrator.Http.GetFromJsonAsync<SweepEstimate>($"/api/sweeps/{sweepId}/estimate");
        Assert.Equal(("none", 0, 18), (before!.Basis, before.EpochsDone, before.EpochsPlanned)); // nothing measured on this queue yet

        await using var worker = WorkerProcess.Start(connection, "estimate-worker", new Dictionary<string, string>
        {
            ["Worker__Queues__0"] = "estimate",
            ["Worker__SimulatedSecondsPerCost"] = secondsPerCost,
        });

        try
        {
            // Poll until a third of the 18 epochs are done, then take the estimate.
            SweepEstimate? estimate = null;
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
            while (estimate is null)
            {
                var now = await orchestrator.Http.GetFromJsonAsync<SweepEstimate>($"/api/sweeps/{sweepId}/estimate");
                if (now!.EpochsDone >= 6) estimate = now;
                else if (DateTime.UtcNow > deadline) Assert.Fail($"a third of the epochs did not finish in 4 minutes ({now.EpochsDone} done)\n{worker.Output}");
                else await Task.Delay(100);
            }
            Assert.Equal("sweep", estimate.Basis);
            var takenAt = estimate.FinishesAt!.Value.AddSeconds(-estimate.SecondsLeft!.Value);

            await SweepWaiter.UntilFinishedAsync(orchestrator.Db, sweepId, TimeSpan.FromMinutes(4), () => worker.Output);
            DateTimeOffset finished;
            await using (var sql = new NpgsqlConnection(connection))
            {
                await sql.OpenAsync();
                await using var cmd = new NpgsqlCommand("select max(finished_at) from runs where sweep_id = $1", sql);
                cmd.Parameters.AddWithValue(sweepId);
                finished = (DateTimeOffset)(DateTime)(await cmd.ExecuteScalarAsync())!;
            }
            var real = (finished - takenAt).TotalSeconds;
            output.WriteLine($"estimate at {estimate.EpochsDone}/18 epochs: {estimate.SecondsLeft:0.00} s left; real: {real:0.00} s; ratio {estimate.SecondsLeft / real:0.000}");
            Assert.InRange(estimate.SecondsLeft!.Value / real, 0.7, 1.3);

            var after = await orchestrator.Http.GetFromJsonAsync<SweepEstimate>($"/api/sweeps/{sweepId}/estimate");
            Assert.Equal(("finished", 0.0, 18), (after!.Basis, after.SecondsLeft, after.EpochsDone));
        }
        finally
        {
            worker.WriteTo(output);
        }
    }
}
