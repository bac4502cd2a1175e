using Hangfire;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>
/// Cancel and resume. Cancelling marks runs <c>cancelled</c> and deletes their Hangfire jobs, which fires the
/// job's cancellation token on the worker; the worker's lease renewal then fails too, so it stops writing.
/// Checkpoints stay, so resuming continues each run from its latest checkpoint. Resume never touches a succeeded run.
/// </summary>
public sealed class SweepControl(RnnSweepDbContext db, RunDispatcher dispatcher, IBackgroundJobClient jobs, ILogger<SweepControl> log)
{
    private static readonly string[] Cancellable = [RunStatus.Queued, RunStatus.Running];
    private static readonly string[] Resumable = [RunStatus.Failed, RunStatus.Diverged, RunStatus.Cancelled, RunStatus.Queued];

    /// <summary>Cancels the sweep's queued and running runs (or one run); returns how many.</summary>
    public async Task<int> CancelAsync(long sweepId, long? runId, CancellationToken ct)
    {
        var runs = await db.Runs.Where(r => r.SweepId == sweepId && (runId == null || r.Id == runId) && Cancellable.Contains(r.Status))
            .Select(r => new { r.Id, r.JobId }).ToListAsync(ct);
        var ids = runs.Select(r => r.Id).ToList();
        await db.Runs.Where(r => ids.Contains(r.Id) && Cancellable.Contains(r.Status)).ExecuteUpdateAsync(u => u
            .SetProperty(r => r.Status, RunStatus.Cancelled)
            .SetProperty(r => r.JobId, (string?)null)
            .SetProperty(r => r.FinishedAt, DateTimeOffset.UtcNow), ct);
        foreach (var jobId in runs.Select(r => r.JobId).OfType<string>()) jobs.Delete(jobId);
        log.LogInformation("Sweep {SweepId}: {Count} runs cancelled", sweepId, runs.Count);
        return runs.Count;
    }

    /// <summary>Re-enqueues every run of the sweep (or one run) that has not succeeded and is not running; returns how many.</summary>
    public async Task<int> ResumeAsync(long sweepId, long? runId, CancellationToken ct)
    {
        await db.Runs.Where(r => r.SweepId == sweepId && (runId == null || r.Id == runId) && Resumable.Contains(r.Status)).ExecuteUpdateAsync(u => u
            .SetProperty(r => r.Status, RunStatus.Queued)
            .SetProperty(r => r.Error, (string?)null)
            .SetProperty(r => r.StopReason, (string?)null)
            .SetProperty(r => r.FinishedAt, (DateTimeOffset?)null)
            .SetProperty(r => r.LeaseOwner, (string?)null)
            .SetProperty(r => r.LeaseExpiresAt, (DateTimeOffset?)null), ct);
        // Runs still queued with a live job keep it; those without one (cancelled, failed, lost) get a new one.
        return await dispatcher.EnqueuePendingAsync(sweepId, ct);
    }
}
