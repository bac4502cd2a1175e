using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Faults;

/// <summary>Cancel stops a running cell through its job's cancellation token; resume re-runs only what did not succeed.</summary>
[Trait("Category", "WorkerProcess")]
[Collection(DatabaseCollection.Name)]
public sealed class CancelResumeTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task Cancel_StopsTheRunningCell_AndResume_FinishesOnlyTheCellsThatHadNotSucceeded()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        await using var worker = WorkerProcess.Start(host.ConnectionString, "w", FaultSweep.FastTakeover);
        try
        {
            var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("cancel me", ["lstm", "gru"]));
            long first, second;
            await using (var db = host.Db())
            {
                var ids = await db.Runs.Where(r => r.SweepId == sweep).OrderBy(r => r.Id).Select(r => r.Id).ToListAsync();
                (first, second) = (ids[0], ids[1]);
            }
            // The first cell done, the second one training.
            await UntilAsync(host, db => db.Runs.AnyAsync(r => r.Id == first && r.Status == RunStatus.Succeeded) , worker);
            await UntilAsync(host, db => db.Runs.AnyAsync(r => r.Id == second && r.EpochsDone >= 1), worker);

            var cancelled = await (await host.Http.PostAsync($"/api/sweeps/{sweep}/cancel", null)).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(1, cancelled.GetProperty("cancelled").GetInt32());
            await UntilAsync(host, _ => Task.FromResult(worker.Output.Contains($"Run {second} released") || worker.Output.Contains($"Run {second} stopped")), worker);
            int epochsAfterCancel;
            DateTimeOffset? firstFinished;
            await using (var db = host.Db())
            {
                epochsAfterCancel = await db.EpochMetrics.CountAsync(m => m.RunId == second);
                firstFinished = (await db.Runs.SingleAsync(r => r.Id == first)).FinishedAt;
                Assert.Equal(RunStatus.Cancelled, (await db.Runs.SingleAsync(r => r.Id == second)).Status);
            }
            await Task.Delay(TimeSpan.FromSeconds(2));
            await using (var db = host.Db())
            {
                Assert.Equal(epochsAfterCancel, await db.EpochMetrics.CountAsync(m => m.RunId == second)); // it really stopped
                Assert.True(epochsAfterCancel < FaultSweep.Epochs);
            }

            var resumed = await (await host.Http.PostAsync($"/api/sweeps/{sweep}/resume", null)).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(1, resumed.GetProperty("enqueued").GetInt32()); // the succeeded cell is left alone
            var runs = await SweepWaiter.UntilFinishedAsync(host.Db, sweep, TimeSpan.FromMinutes(2), () => worker.Output);
            Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
            Assert.Equal(firstFinished, runs.Single(r => r.Id == first).FinishedAt);
            Assert.Equal(1, runs.Single(r => r.Id == first).Attempt);
            Assert.Contains($"Resuming run {second} after epoch", worker.Output);
            Assert.Equal(Enumerable.Range(1, FaultSweep.Epochs), (await FaultSweep.EpochsAsync(host, second)).Select(m => m.Epoch));
        }
        finally
        {
            worker.WriteTo(output);
        }
    }

    [Fact]
    public async Task ResumeWithMaxEpochs_ContinuesACellThatStoppedAtItsCap_AsIfItHadNeverStopped()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        await using var worker = WorkerProcess.Start(host.ConnectionString, "w");
        try
        {
            var capped = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("capped", maxEpochs: 3));
            var reference = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("reference"));
            var stopped = (await SweepWaiter.UntilFinishedAsync(host.Db, capped, TimeSpan.FromMinutes(2), () => worker.Output)).Single();
            Assert.Equal((RunStatus.Succeeded, "reached maxEpochs 3", 3), (stopped.Status, stopped.StopReason, stopped.EpochsDone));

            using (var bad = await host.Http.PostAsync($"/api/sweeps/{capped}/resume?maxEpochs=0", null))
            {
                Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
                Assert.True(JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("maxEpochs", out _));
            }
            var plain = await (await host.Http.PostAsync($"/api/sweeps/{capped}/resume", null)).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(0, plain.GetProperty("enqueued").GetInt32()); // without a higher cap a succeeded cell stays done
            var resumed = await (await host.Http.PostAsync($"/api/sweeps/{capped}/resume?maxEpochs={FaultSweep.Epochs}", null)).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(1, resumed.GetProperty("enqueued").GetInt32());

            var run = (await SweepWaiter.UntilFinishedAsync(host.Db, capped, TimeSpan.FromMinutes(2), () => worker.Output)).Single();
            var full = (await SweepWaiter.UntilFinishedAsync(host.Db, reference, TimeSpan.FromMinutes(2), () => worker.Output)).Single();
            Assert.Equal((RunStatus.Succeeded, $"reached maxEpochs {FaultSweep.Epochs}", 2), (run.Status, run.StopReason, run.Attempt));
            Assert.Contains($"Resuming run {run.Id} after epoch 3", worker.Output);
            await FaultSweep.AssertSameTrainingAsync(host, run, full);
            await using var db = host.Db();
            var table = await RnnSweep.Orchestrator.Sweeps.LossTable.LoadAsync(db, capped, CancellationToken.None);
            Assert.Equal(FaultSweep.Epochs, table!.Rows.Single().Cells.Single()!.MaxEpochs);
        }
        finally
        {
            worker.WriteTo(output);
        }
    }

    private static async Task UntilAsync(OrchestratorHost host, Func<Shared.Schema.RnnSweepDbContext, Task<bool>> condition, WorkerProcess worker)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            await using (var db = host.Db())
            {
                if (await condition(db)) return;
            }
            Assert.True(DateTime.UtcNow < deadline, "timed out\n" + worker.Output);
            await Task.Delay(100);
        }
    }
}
