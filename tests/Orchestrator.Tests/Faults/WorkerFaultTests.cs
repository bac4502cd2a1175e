using System.Diagnostics;
using Hangfire;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Faults;

/// <summary>Workers that die, stop, or are handed the same job twice: no result lost, no cell trained twice at once.</summary>
[Trait("Category", "WorkerProcess")]
[Collection(DatabaseCollection.Name)]
public sealed class WorkerFaultTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task KilledWorker_RunCompletesOnAnother_WithOneRowPerEpochAndTheUninterruptedLosses()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        var a = WorkerProcess.Start(host.ConnectionString, "a", FaultSweep.FastTakeover);
        WorkerProcess? b = null;
        try
        {
            var killed = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("killed"));
            await SweepWaiter.UntilEpochsAsync(host.Db, killed, 2, TimeSpan.FromMinutes(2), () => a.Output);
            a.Signal("KILL"); // mid-epoch 3 or later: no shutdown, no lease release, a Hangfire job left "processing"
            Assert.True(await a.WaitForExitAsync(TimeSpan.FromSeconds(10)));

            b = WorkerProcess.Start(host.ConnectionString, "b", FaultSweep.FastTakeover);
            var reference = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("reference"));
            var run = (await SweepWaiter.UntilFinishedAsync(host.Db, killed, TimeSpan.FromMinutes(3), () => b.Output)).Single();
            var expected = (await SweepWaiter.UntilFinishedAsync(host.Db, reference, TimeSpan.FromMinutes(2), () => b.Output)).Single();

            Assert.Equal(RunStatus.Succeeded, run.Status);
            Assert.Equal(2, run.Attempt);
            Assert.Null(run.LeaseOwner);
            Assert.Contains($"Resuming run {run.Id} after epoch", b.Output);
            await FaultSweep.AssertSameTrainingAsync(host, run, expected);
        }
        finally
        {
            a.WriteTo(output);
            b?.WriteTo(output);
            await a.DisposeAsync();
            if (b is not null) await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task TerminatedWorker_ExitsWithinItsShutdownTimeout_AndTheRunCompletesElsewhereFromItsCheckpoint()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        await using var a = WorkerProcess.Start(host.ConnectionString, "a", FaultSweep.FastTakeover);
        await using var b = WorkerProcess.Start(host.ConnectionString, "b", FaultSweep.FastTakeover);
        try
        {
            var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("terminated"));
            await SweepWaiter.UntilEpochsAsync(host.Db, sweep, 2, TimeSpan.FromMinutes(2), () => a.Output + b.Output);
            await using (var db = host.Db())
            {
                var owner = db.Runs.Single(r => r.SweepId == sweep).LeaseOwner!;
                var busy = owner.StartsWith("a/") ? a : b;
                var clock = Stopwatch.StartNew();
                busy.Signal("TERM");
                Assert.True(await busy.WaitForExitAsync(TimeSpan.FromSeconds(15)), "the worker did not exit after SIGTERM");
                output.WriteLine($"worker {busy.Name} exited {clock.Elapsed.TotalSeconds:0.0} s after SIGTERM (shutdown timeout 5 s)");
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5 + 3), $"exit took {clock.Elapsed}");
                Assert.Equal(0, busy.ExitCode);
            }
            var run = (await SweepWaiter.UntilFinishedAsync(host.Db, sweep, TimeSpan.FromMinutes(3), () => a.Output + b.Output)).Single();
            Assert.Equal(RunStatus.Succeeded, run.Status);
            Assert.Equal(2, run.Attempt);
            Assert.Contains($"Resuming run {run.Id} after epoch", a.Output + b.Output);
            Assert.Equal(Enumerable.Range(1, FaultSweep.Epochs), (await FaultSweep.EpochsAsync(host, run.Id)).Select(m => m.Epoch));
        }
        finally
        {
            a.WriteTo(output);
            b.WriteTo(output);
        }
    }

    [Fact]
    public async Task SameJobOnTwoWorkers_OnlyOneTrains_TheOtherGivesUpWithoutWriting()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        await using var a = WorkerProcess.Start(host.ConnectionString, "a", FaultSweep.FastTakeover);
        await using var b = WorkerProcess.Start(host.ConnectionString, "b", FaultSweep.FastTakeover);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3)); // both Hangfire servers up and waiting
            var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("twice"));
            await using (var db = host.Db())
            {
                // Hangfire hands the same run out a second time, as after a duplicated enqueue or a false takeover.
                var runId = db.Runs.Single(r => r.SweepId == sweep).Id;
                host.Service<IBackgroundJobClient>().Enqueue<ITrainRunJob>("cpu", job => job.TrainAsync(runId, CancellationToken.None));
            }
            var run = (await SweepWaiter.UntilFinishedAsync(host.Db, sweep, TimeSpan.FromMinutes(2), () => a.Output + b.Output)).Single();

            Assert.Equal(RunStatus.Succeeded, run.Status);
            Assert.Equal(1, run.Attempt);
            Assert.Equal(Enumerable.Range(1, FaultSweep.Epochs), (await FaultSweep.EpochsAsync(host, run.Id)).Select(m => m.Epoch));
            var trained = new[] { a, b }.Where(w => w.Output.Contains($"Run {run.Id} (lstm 1x48 of sweep twice) attempt 1")).ToList();
            Assert.Single(trained);
            var other = trained[0] == a ? b : a;
            Assert.Contains($"Run {run.Id} (lstm 1x48) is held by another worker; this copy gives up without writing", other.Output);
        }
        finally
        {
            a.WriteTo(output);
            b.WriteTo(output);
        }
    }
}
