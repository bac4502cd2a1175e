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

    /// <summary>
    /// Re-enqueues every run of the sweep (or one run) that has not succeeded and is not running; returns how many.
    /// With <paramref name="maxEpochs"/>, the runs' epoch cap is set first: running ones pick it up after their
    /// epoch, and succeeded ones that stopped at a lower cap continue from their latest checkpoint too.
    /// </summary>
    public async Task<int> ResumeAsync(long sweepId, long? runId, int? maxEpochs, CancellationToken ct)
    {
        if (maxEpochs is < 1 or > Hyperparameters.MaxEpochsLimit)
            throw new ValidationException("maxEpochs", $"must be between 1 and {Hyperparameters.MaxEpochsLimit}, not {maxEpochs}");
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (maxEpochs is { } cap)
        {
            await db.Database.ExecuteSqlAsync($"""
                update runs set hyperparameters = jsonb_set(hyperparameters, {RunCapPath}, to_jsonb({cap}))
                where sweep_id = {sweepId} and ({runId}::bigint is null or id = {runId})
                """, ct);
            // The whole sweep's cap is also what its spec says (the loss table's "epoch k of N").
            if (runId is null)
            {
                await db.Database.ExecuteSqlAsync($"""
                    update sweeps set spec = jsonb_set(spec, {SweepCapPath}, to_jsonb({cap})) where id = {sweepId}
                    """, ct);
            }
        }
        // A run that had a job (failed, diverged, cancelled, succeeded) gets a new one; a queued run keeps its own.
        await db.Database.ExecuteSqlAsync($"""
            update runs set status = {RunStatus.Queued}, job_id = case when status = {RunStatus.Queued} then job_id end,
                            error = null, stop_reason = null, finished_at = null, lease_owner = null, lease_expires_at = null
            where sweep_id = {sweepId} and ({runId}::bigint is null or id = {runId})
              and (status = any({Resumable})
                   or (status = {RunStatus.Succeeded} and stop_reason like {StopReasons.MaxEpochsPrefix + "%"} and epochs_done < (hyperparameters->>'maxEpochs')::int))
            """, ct);
        await tx.CommitAsync(ct);
        return await dispatcher.EnqueuePendingAsync(sweepId, ct);
    }

    private static readonly string[] RunCapPath = ["maxEpochs"];
    private static readonly string[] SweepCapPath = ["hyperparameters", "maxEpochs"];
}
