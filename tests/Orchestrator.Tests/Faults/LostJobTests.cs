using Hangfire;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Faults;

/// <summary>
/// An operator deletes or requeues a run's Hangfire job from the dashboard, or a Worker freezes past its lease: the
/// database, not the job, says what is pending, so every run still finishes with one row per epoch and the losses of
/// an uninterrupted run with the same seed.
/// </summary>
[Collection(DatabaseCollection.Name)]
[Trait("Category", "WorkerProcess")]
public sealed class LostJobTests(PostgresFixture postgres, ITestOutputHelper output)
{
    /// <summary>
    /// Epochs of a run interrupted while its job is Processing: on a fast machine six epochs end in about three seconds,
    /// before the Worker's cancellation check sees the deleted or requeued job, and the run was never interrupted.
    /// </summary>
    private const int LongRun = 12;

    [Fact]
    public async Task RunningJobDeletedFromTheDashboard_TheRunIsDispatchedAgainAndFinishesAsIfUninterrupted()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        await using var worker = WorkerProcess.Start(host.ConnectionString, "w", FaultSweep.FastTakeover);
        try
        {
            var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("deleted while running", maxEpochs: LongRun));
            await SweepWaiter.UntilEpochsAsync(host.Db, sweep, 2, TimeSpan.FromMinutes(2), () => worker.Output);
            var jobId = (await RunOfAsync(host, sweep)).JobId!;
            Assert.Equal("Processing", host.Service<JobStorage>().GetConnection().GetStateData(jobId).Name);

            await HangfireDashboard.DeleteProcessingAsync(host.Http, jobId);

            var redispatched = await UntilRunAsync(host, sweep, r => r.JobId != jobId && r.JobId != null, worker);
            output.WriteLine($"job {jobId} deleted; run {redispatched.Id} got job {redispatched.JobId}");
            await AssertFinishesLikeAnUninterruptedRunAsync(host, sweep, worker, maxEpochs: LongRun);
        }
        finally
        {
            worker.WriteTo(output);
        }
    }

    [Fact]
    public async Task QueuedJobDeletedFromTheDashboard_TheRunIsDispatchedAgainAndFinishes()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("deleted while queued"));
        var jobId = (await RunOfAsync(host, sweep)).JobId!;
        Assert.Equal("Enqueued", host.Service<JobStorage>().GetConnection().GetStateData(jobId).Name);

        await HangfireDashboard.DeleteEnqueuedAsync(host.Http, jobId); // no Worker yet: the job is still waiting

        var redispatched = await UntilRunAsync(host, sweep, r => r.JobId != jobId && r.JobId != null, null);
        Assert.Equal(RunStatus.Queued, redispatched.Status);
        await using var worker = WorkerProcess.Start(host.ConnectionString, "w", FaultSweep.FastTakeover);
        try
        {
            await AssertFinishesLikeAnUninterruptedRunAsync(host, sweep, worker, interrupted: false);
        }
        finally
        {
            worker.WriteTo(output);
        }
    }

    [Fact]
    public async Task ProcessingJobRequeuedFromTheDashboard_TheRunFinishesAsIfUninterrupted()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        await using var worker = WorkerProcess.Start(host.ConnectionString, "w", FaultSweep.FastTakeover);
        try
        {
            var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("requeued while running", maxEpochs: LongRun));
            await SweepWaiter.UntilEpochsAsync(host.Db, sweep, 2, TimeSpan.FromMinutes(2), () => worker.Output);
            var jobId = (await RunOfAsync(host, sweep)).JobId!;

            await HangfireDashboard.RequeueProcessingAsync(host.Http, jobId);

            await AssertFinishesLikeAnUninterruptedRunAsync(host, sweep, worker, maxEpochs: LongRun);
            Assert.Contains("released for another worker (its job was deleted or requeued)", worker.Output);
        }
        finally
        {
            worker.WriteTo(output);
        }
    }

    [Fact]
    public async Task FrozenWorker_PastItsLeaseAndInvisibilityTimeout_AnotherTakesOver_AndTheThawedOneLeavesItAlone()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        await using var a = WorkerProcess.Start(host.ConnectionString, "a", FaultSweep.FastTakeover);
        await using var b = WorkerProcess.Start(host.ConnectionString, "b", FaultSweep.FastTakeover);
        WorkerProcess? frozen = null;
        try
        {
            var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("frozen"));
            await SweepWaiter.UntilEpochsAsync(host.Db, sweep, 2, TimeSpan.FromMinutes(2), () => a.Output + b.Output);
            var owner = (await RunOfAsync(host, sweep)).LeaseOwner!;
            (frozen, var other) = owner.StartsWith("a/", StringComparison.Ordinal) ? (a, b) : (b, a);

            frozen.Signal("STOP");
            var takenOver = await UntilRunAsync(host, sweep, r => r.LeaseOwner?.StartsWith(other.Name + "/", StringComparison.Ordinal) == true || RunStatus.IsFinal(r.Status), other);
            output.WriteLine($"run taken over by {takenOver.LeaseOwner ?? takenOver.TrainedBy} ({takenOver.Status})");
            await Task.Delay(TimeSpan.FromSeconds(8)); // past the 6 s invisibility timeout: Hangfire may hand the frozen job out again
            frozen.Signal("CONT");

            await AssertFinishesLikeAnUninterruptedRunAsync(host, sweep, other);
            await Task.Delay(TimeSpan.FromSeconds(3)); // the thawed Worker has had time to write, if it were going to
            var run = await RunOfAsync(host, sweep);
            Assert.Equal(RunStatus.Succeeded, run.Status);
            Assert.StartsWith(other.Name + "/", run.TrainedBy, StringComparison.Ordinal);
            // The thawed Worker noticed: its commit found the lease gone, or Hangfire told it the job was taken.
            Assert.True(frozen.Output.Contains($"Run {run.Id} stopped: lease lost") || frozen.Output.Contains($"Run {run.Id} released"), frozen.Output);
            Assert.Equal(Enumerable.Range(1, FaultSweep.Epochs), (await FaultSweep.EpochsAsync(host, run.Id)).Select(m => m.Epoch));
        }
        finally
        {
            frozen?.Signal("CONT");
            a.WriteTo(output);
            b.WriteTo(output);
        }
    }

    /// <summary>Every run of the sweep succeeds, with the same epochs and losses as a reference sweep trained after it.</summary>
    private static async Task AssertFinishesLikeAnUninterruptedRunAsync(OrchestratorHost host, long sweep, WorkerProcess worker, bool interrupted = true, int maxEpochs = FaultSweep.Epochs)
    {
        var runs = await SweepWaiter.UntilFinishedAsync(host.Db, sweep, TimeSpan.FromMinutes(3), () => worker.Output);
        var reference = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("reference", maxEpochs: maxEpochs));
        var expected = (await SweepWaiter.UntilFinishedAsync(host.Db, reference, TimeSpan.FromMinutes(3), () => worker.Output)).Single();
        var run = runs.Single();
        Assert.Equal(RunStatus.Succeeded, run.Status);
        if (interrupted) Assert.True(run.Attempt >= 2, $"the run was never interrupted (attempt {run.Attempt})");
        await FaultSweep.AssertSameTrainingAsync(host, run, expected);
    }

    private static async Task<Run> RunOfAsync(OrchestratorHost host, long sweep)
    {
        await using var db = host.Db();
        return await db.Runs.AsNoTracking().SingleAsync(r => r.SweepId == sweep);
    }

    private static async Task<Run> UntilRunAsync(OrchestratorHost host, long sweep, Func<Run, bool> condition, WorkerProcess? worker)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var run = await RunOfAsync(host, sweep);
            if (condition(run)) return run;
            Assert.True(DateTime.UtcNow < deadline, $"run {run.Id} stayed {run.Status} with job {run.JobId}, lease {run.LeaseOwner}\n{worker?.Output}");
            await Task.Delay(100);
        }
    }
}
