using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Tests.Faults;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Cluster;

/// <summary>Queues route runs to the workers that listen on them; the device option is honoured or refused clearly.</summary>
public sealed class QueueAndDeviceTests(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    [Fact]
    [Trait("Category", "WorkerProcess")]
    public async Task WorkersOnDifferentQueues_EachRunOnlyTheirQueuesCells()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        await using var cpu = WorkerProcess.Start(host.ConnectionString, "cpu-worker", new Dictionary<string, string> { ["Worker__Queues__0"] = "cpu" });
        await using var gpu = WorkerProcess.Start(host.ConnectionString, "gpu-worker",
            new Dictionary<string, string> { ["Worker__Queues__0"] = "gpu", ["Worker__Device"] = "cpu" }); // a "gpu" queue served on CPU here
        try
        {
            // One epoch a cell: which Worker trains a cell is the point, and two Workers training six epochs each beside
            // the rest of the suite took up to 2 min 12 s of a 3-minute wait on this machine.
            var onCpu = await FaultSweep.SubmitAsync(host, WithQueue(FaultSweep.Spec("on cpu", ["lstm", "gru"], maxEpochs: 1), "cpu"));
            var onGpu = await FaultSweep.SubmitAsync(host, WithQueue(FaultSweep.Spec("on gpu", ["lstm", "gru"], maxEpochs: 1), "gpu"));
            var cpuRuns = await SweepWaiter.UntilFinishedAsync(host.Db, onCpu, TimeSpan.FromMinutes(6), () => cpu.Output + gpu.Output);
            var gpuRuns = await SweepWaiter.UntilFinishedAsync(host.Db, onGpu, TimeSpan.FromMinutes(6), () => cpu.Output + gpu.Output);

            Assert.All(cpuRuns.Concat(gpuRuns), r => Assert.Equal(RunStatus.Succeeded, r.Status));
            Assert.All(cpuRuns, r => Assert.StartsWith("cpu-worker/", r.TrainedBy));
            Assert.All(gpuRuns, r => Assert.StartsWith("gpu-worker/", r.TrainedBy));
        }
        finally
        {
            cpu.WriteTo(output);
            gpu.WriteTo(output);
        }
    }

    [Fact]
    [Trait("Category", "WorkerProcess")]
    public async Task ShortJobs_GoBeforeTheTrainingJobsQueuedAheadOfThem()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        // Submitted while no Worker listens: both runs' training jobs are enqueued first, the n-gram baseline after them.
        var sweep = await FaultSweep.SubmitAsync(host, WithQueue(FaultSweep.Spec("short jobs first", ["lstm", "gru"], maxEpochs: 1), "short-first"));
        await using var worker = WorkerProcess.Start(host.ConnectionString, "one-worker", new Dictionary<string, string> { ["Worker__Queues__0"] = "short-first" });
        try
        {
            var runs = await SweepWaiter.UntilFinishedAsync(host.Db, sweep, TimeSpan.FromMinutes(3), () => worker.Output);
            Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));

            // The jobs in the order the Worker took them (its first Processing state each), analyses left out: they are
            // enqueued only as runs finish.
            await using var db = host.Db();
            var taken = await db.Database.SqlQueryRaw<TakenJob>($"""
                select j.id as "JobId", j.invocationdata::text like '%INGramBaselineJob%' as "IsNGram"
                from {Shared.Database.DatabaseSettings.HangfireSchema}.job j
                join (select jobid, min(id) as first from {Shared.Database.DatabaseSettings.HangfireSchema}.state where name = 'Processing' group by jobid) p on p.jobid = j.id
                where j.invocationdata::text not like '%IAnalyzeRunJob%'
                order by p.first
                """).ToListAsync();
            Assert.Equal(3, taken.Count);
            Assert.True(taken[0].IsNGram, $"first taken: job {taken[0].JobId}; {worker.Output}");
            Assert.All(taken.Skip(1), t => Assert.True(t.JobId < taken[0].JobId, "the training jobs were enqueued before the n-gram baseline"));
        }
        finally
        {
            worker.WriteTo(output);
        }
    }

    private sealed record TakenJob(long JobId, bool IsNGram);

    [Fact]
    public async Task RequeuedJob_GoesBackToItsSweepsQueue_NotToDefault()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        var sweep = await FaultSweep.SubmitAsync(host, WithQueue(FaultSweep.Spec("requeued"), "gpu"));
        await using var db = host.Db();
        var jobId = (await db.Runs.SingleAsync(r => r.SweepId == sweep)).JobId!;
        // What a retry after a failure, or the recovery of a dead server's job, does: enqueue it again without a queue.
        Assert.True(host.Service<Hangfire.IBackgroundJobClient>().ChangeState(jobId, new Hangfire.States.EnqueuedState(), null));
        var monitoring = host.Service<Hangfire.JobStorage>().GetMonitoringApi();
        Assert.Contains(monitoring.EnqueuedJobs("gpu", 0, 100), j => j.Key == jobId);
        Assert.DoesNotContain(monitoring.EnqueuedJobs("default", 0, 100), j => j.Key == jobId);
    }

    /// <summary>
    /// A short job (here the n-gram baseline) of a sweep on the longest queue name allowed goes to that queue's priority
    /// queue, 52 characters, which Hangfire takes; requeued without a queue, as a retry does, it goes back there.
    /// </summary>
    [Fact]
    public async Task RequeuedShortJob_GoesBackToThePriorityQueue_OfTheLongestQueueName()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        var queue = "q" + new string('9', 49);
        var sweep = await FaultSweep.SubmitAsync(host, WithQueue(FaultSweep.Spec("requeued short job"), queue));
        await using var db = host.Db();
        string? jobId = null;
        for (var tries = 0; jobId is null && tries < 600; tries++) // the submission dispatches it; the reaper would too
        {
            jobId = await db.Database.SqlQuery<string>($"select job_id as \"Value\" from work_jobs where kind = {WorkKind.NGramBaseline} and subject_id = {sweep}").FirstOrDefaultAsync();
            if (jobId is null) await Task.Delay(100);
        }
        Assert.NotNull(jobId);
        var monitoring = host.Service<Hangfire.JobStorage>().GetMonitoringApi();
        var priority = Shared.Jobs.JobQueues.Priority(queue);
        Assert.Equal(52, priority.Length);
        Assert.Contains(monitoring.EnqueuedJobs(priority, 0, 100), j => j.Key == jobId);

        Assert.True(host.Service<Hangfire.IBackgroundJobClient>().ChangeState(jobId, new Hangfire.States.EnqueuedState(), null));
        Assert.Contains(monitoring.EnqueuedJobs(priority, 0, 100), j => j.Key == jobId);
        Assert.DoesNotContain(monitoring.EnqueuedJobs("default", 0, 100), j => j.Key == jobId);
        Assert.DoesNotContain(monitoring.EnqueuedJobs(queue, 0, 100), j => j.Key == jobId);
    }

    [Fact]
    [Trait("Category", "WorkerProcess")]
    public async Task WorkerAskedForCuda_OnAMachineWithoutIt_ExitsNamingTheMissingPackageOrDevice()
    {
        await using var worker = WorkerProcess.Start(await postgres.CreateEmptyDatabaseAsync(), "cuda-worker", new Dictionary<string, string> { ["Worker__Device"] = "cuda" });
        Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the worker kept running without CUDA");
        Assert.NotEqual(0, worker.ExitCode);
        Assert.Contains("CUDA is not available", worker.Output);
        Assert.Contains("TorchSharp-cuda-linux", worker.Output);
    }

    [Fact]
    [Trait("Category", "WorkerProcess")]
    public async Task WorkerWithAnUnknownDevice_ExitsNamingTheSetting()
    {
        await using var worker = WorkerProcess.Start(await postgres.CreateEmptyDatabaseAsync(), "tpu-worker", new Dictionary<string, string> { ["Worker__Device"] = "tpu" });
        Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.NotEqual(0, worker.ExitCode);
        Assert.Contains("Worker:Device must be cpu, cuda, cuda:N or auto, not 'tpu'", worker.Output);
    }

    private static object WithQueue(object spec, string queue)
    {
        var json = System.Text.Json.JsonSerializer.SerializeToNode(spec)!.AsObject();
        json["queue"] = queue;
        return json;
    }
}
