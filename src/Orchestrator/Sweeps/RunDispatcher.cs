using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>Creates the Hangfire job of every queued run that has none yet.</summary>
public sealed class RunDispatcher(RnnSweepDbContext db, IBackgroundJobClient jobs, JobStorage storage, ILogger<RunDispatcher> log)
{
    /// <summary>Runs whose jobs are created and enqueued in one storage transaction, then claimed in one statement.</summary>
    public const int ChunkSize = 500;
    /// <summary>Chunks created at once, each on its own storage connection: job creation is round-trip bound.</summary>
    public const int Parallelism = 4;

    public async Task<int> EnqueuePendingAsync(long sweepId, CancellationToken ct)
    {
        var queue = await db.Sweeps.Where(s => s.Id == sweepId).Select(s => s.Queue).SingleAsync(ct);
        var pending = await db.Runs.Where(r => r.SweepId == sweepId && r.Status == RunStatus.Queued && r.JobId == null)
            .OrderBy(r => r.Id).Select(r => r.Id).ToListAsync(ct);
        var enqueued = 0;
        var chunks = pending.Chunk(ChunkSize).ToList();
        var created = new string[chunks.Count][];
        await Parallel.ForEachAsync(Enumerable.Range(0, chunks.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
            (i, _) => { created[i] = CreateEnqueuedJobs(chunks[i], queue); return ValueTask.CompletedTask; });
        for (var c = 0; c < chunks.Count; c++)
        {
            var (runIds, jobIds) = (chunks[c], created[c]);
            // Only one dispatcher may attach a job; a loser deletes its duplicate (the lease would stop it anyway).
            var claimed = (await db.Database.SqlQuery<long>($"""
                update runs r set job_id = v.job_id from unnest({runIds}, {jobIds}) as v(id, job_id)
                where r.id = v.id and r.job_id is null returning r.id as "Value"
                """).ToListAsync(ct)).ToHashSet();
            for (var i = 0; i < runIds.Length; i++)
            {
                if (claimed.Contains(runIds[i])) enqueued++;
                else jobs.Delete(jobIds[i]);
            }
        }
        if (enqueued > 0) log.LogInformation("Enqueued {Count} runs of sweep {SweepId} on queue {Queue}", enqueued, sweepId, queue);
        return enqueued;
    }

    /// <summary>
    /// What <see cref="IBackgroundJobClient.Create"/> does for each run, on one storage connection with one write
    /// transaction for all of them. Why: one job at a time costs two round trips and a transaction (~1.9 ms), which
    /// made a 10,000-cell sweep take over 20 s to submit (docs/benchmarks.md). The state change goes through
    /// Hangfire's <see cref="StateMachine"/> with the global filters, so Enqueued is applied exactly as the client
    /// applies it; only client-side creation filters (culture capture) are not run. A crash before the commit leaves
    /// expiring jobs that never run, and the runs without a job id, so the next dispatch enqueues them again.
    /// </summary>
    private string[] CreateEnqueuedJobs(long[] runIds, string queue)
    {
        using var connection = storage.GetConnection();
        var createdAt = DateTime.UtcNow;
        var created = new BackgroundJob[runIds.Length];
        for (var i = 0; i < runIds.Length; i++)
        {
            var runId = runIds[i];
            // The queue is part of the job, not only of its first state: a retry or a requeue after a dead server goes
            // back to this queue, not to "default" where no worker listens.
            var job = Job.FromExpression<ITrainRunJob>(j => j.TrainAsync(runId, CancellationToken.None), queue);
            var id = connection.CreateExpiredJob(job, new Dictionary<string, string?>(), createdAt, TimeSpan.FromDays(30));
            created[i] = new BackgroundJob(id, job, createdAt);
        }
        var stateMachine = new StateMachine(JobFilterProviders.Providers);
        using (var transaction = connection.CreateWriteTransaction())
        {
            foreach (var job in created)
            {
                stateMachine.ApplyState(new ApplyStateContext(storage, connection, transaction, job, new EnqueuedState(queue), oldStateName: null));
            }
            transaction.Commit();
        }
        return created.Select(j => j.Id).ToArray();
    }
}
