using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;
using RnnSweep.Shared.Jobs;
using RnnSweep.Shared.Runs;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>
/// Gives every queued or running run without a way forward a new Hangfire job: runs never dispatched, and runs whose
/// job was deleted, requeued away, finished or failed, or whose lease lapsed (<see cref="RunLife.FindStrandedAsync"/>).
/// Called on submit and resume, and every few seconds by <see cref="StaleRunReaper"/>. Jobs are created longest run
/// first (<see cref="RunLife.FindStrandedAsync"/>'s order), whichever of these dispatches them.
/// </summary>
public sealed class RunDispatcher(RunLife life, NpgsqlDataSource db, IBackgroundJobClient jobs, JobStorage storage, IOptions<ReaperOptions> options, ILogger<RunDispatcher> log)
{
    /// <summary>The PostgreSQL advisory lock key held by whichever dispatcher, of any Orchestrator, is dispatching runs.</summary>
    public const long LockKey = 0x726e_7377_6470; // "rnswdp"

    /// <summary>Runs whose jobs are created and enqueued in one storage transaction, then claimed in one statement.</summary>
    public const int ChunkSize = 500;
    /// <summary>Chunks created at once, each on its own storage connection: job creation is round-trip bound.</summary>
    public const int Parallelism = 4;

    private readonly ResiliencePipeline _retry = Transient.Pipeline(Transient.RequestPatience, log);

    /// <summary>Dispatches the stranded runs of one sweep (or of all, with null); returns the runs that got a job.</summary>
    public async Task<IReadOnlySet<long>> DispatchAsync(long? sweepId, CancellationToken ct)
    {
        // One dispatch at a time, across Orchestrators. Why: the reaper's pass and a slow submission (8 s for 36 runs
        // at a load of 60) both found the new runs without a job and both created and enqueued jobs; the loser's jobs
        // were deleted only after Workers had fetched them, so runs started in the two dispatchers' interleaved order,
        // and a run trained under a deleted job was released and dispatched again at the back of the queue (the
        // 8-Worker bench took 1.78 x its bound; docs/benchmarks.md, "Dispatch order"). Held on a connection of its own,
        // a session lock is released by PostgreSQL when that connection dies, so a crash or a restart never leaves it.
        await using var gate = await _retry.ExecuteAsync(async token =>
        {
            var conn = await db.OpenConnectionAsync(token);
            try
            {
                await using var take = new NpgsqlCommand("select pg_advisory_lock($1)", conn);
                take.Parameters.AddWithValue(LockKey);
                await take.ExecuteNonQueryAsync(token);
                return conn;
            }
            catch
            {
                await conn.DisposeAsync();
                throw;
            }
        }, ct);
        try
        {
            return await DispatchLockedAsync(sweepId, ct);
        }
        finally
        {
            await using var release = new NpgsqlCommand("select pg_advisory_unlock($1)", gate);
            release.Parameters.AddWithValue(LockKey);
            try { await release.ExecuteNonQueryAsync(CancellationToken.None); }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException) { } // connection gone: so is the lock
        }
    }

    private async Task<IReadOnlySet<long>> DispatchLockedAsync(long? sweepId, CancellationToken ct)
    {
        var stranded = await life.FindStrandedAsync(sweepId, options.Value.Grace, ct, options.Value.LongestFirst);
        var enqueued = new HashSet<long>();
        foreach (var byQueue in stranded.GroupBy(r => r.Queue))
        {
            var queue = byQueue.Key;
            // Longest first: Workers fetch a queue's jobs in job id order (Hangfire.PostgreSql), so jobs must be created
            // in the order found (estimated cost, descending). Chunks created in parallel interleave their ids, so the
            // runs are dealt out in waves: chunk k of a wave holds the wave's ranks k, k + P, k + 2P, ...; wave after wave.
            foreach (var wave in byQueue.Chunk(ChunkSize * Parallelism))
            {
                var width = Math.Min(Parallelism, (wave.Length + ChunkSize - 1) / ChunkSize);
                var chunks = Enumerable.Range(0, width).Select(k => wave.Where((_, i) => i % width == k).ToArray()).ToList();
                var created = new string[chunks.Count][];
                await Parallel.ForEachAsync(Enumerable.Range(0, chunks.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
                    async (i, token) => created[i] = await _retry.ExecuteAsync(_ => ValueTask.FromResult(CreateEnqueuedJobs(chunks[i].Select(r => r.RunId).ToArray(), queue)), token));
                for (var c = 0; c < chunks.Count; c++)
                {
                    var (runs, jobIds) = (chunks[c], created[c]);
                    // Only one dispatcher may attach a job; a loser deletes its duplicate (the lease would stop it anyway).
                    var attached = await life.AttachJobsAsync(runs.Select(r => r.RunId).ToArray(), runs.Select(r => r.JobId).ToArray(), jobIds, ct);
                    for (var i = 0; i < runs.Length; i++)
                    {
                        if (attached.Contains(runs[i].RunId)) enqueued.Add(runs[i].RunId);
                        else jobs.Delete(jobIds[i]);
                    }
                }
            }
            var again = byQueue.Where(r => r.JobId is not null).ToList();
            if (again.Count > 0)
            {
                log.LogWarning("{Count} runs had no way forward (job lost, finished or failed, or lease lapsed) and were dispatched again: {Runs}",
                    again.Count, string.Join(", ", again.Take(20).Select(r => $"run {r.RunId} ({r.Status}, job {r.JobId})")));
            }
        }
        if (enqueued.Count > 0) log.LogInformation("Enqueued {Count} runs{Sweep}", enqueued.Count, sweepId is null ? "" : $" of sweep {sweepId}");
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
