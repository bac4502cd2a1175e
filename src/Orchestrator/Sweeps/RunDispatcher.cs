using Hangfire;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>Creates the Hangfire job of every queued run that has none yet.</summary>
public sealed class RunDispatcher(RnnSweepDbContext db, IBackgroundJobClient jobs, ILogger<RunDispatcher> log)
{
    public async Task<int> EnqueuePendingAsync(long sweepId, CancellationToken ct)
    {
        var queue = await db.Sweeps.Where(s => s.Id == sweepId).Select(s => s.Queue).SingleAsync(ct);
        var pending = await db.Runs.Where(r => r.SweepId == sweepId && r.Status == RunStatus.Queued && r.JobId == null)
            .OrderBy(r => r.Id).Select(r => r.Id).ToListAsync(ct);
        var enqueued = 0;
        foreach (var runId in pending)
        {
            var jobId = jobs.Create<ITrainRunJob>(job => job.TrainAsync(runId, CancellationToken.None), new EnqueuedState(queue));
            // Only one dispatcher may attach a job; a loser deletes its duplicate (the lease would stop it anyway).
            var claimed = await db.Runs.Where(r => r.Id == runId && r.JobId == null)
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.JobId, jobId), ct);
            if (claimed == 0) jobs.Delete(jobId);
            else enqueued++;
        }
        if (enqueued > 0) log.LogInformation("Enqueued {Count} runs of sweep {SweepId} on queue {Queue}", enqueued, sweepId, queue);
        return enqueued;
    }
}
