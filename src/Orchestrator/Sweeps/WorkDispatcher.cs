using Hangfire;
using Npgsql;
using Polly;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;
using RnnSweep.Shared.Runs;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>
/// Pending work besides training, derived from the results tables rather than remembered in a Hangfire job: a
/// sweep without n-gram baseline rows, a run that ended with losses and has no analyses, a requested sample not
/// made yet. Each gets a job when it has none that is live (never enqueued, the enqueue failed after a database
/// restart, the job was deleted or failed); <c>work_jobs</c> remembers the job and how many were tried.
/// </summary>
public sealed class WorkDispatcher(NpgsqlDataSource db, IBackgroundJobClient jobs, ILogger<WorkDispatcher> log)
{
    /// <summary>Jobs created for one piece of work before it is given up (a sample is then finished with an error).</summary>
    public const int MaxDispatches = 5;

    private readonly ResiliencePipeline _retry = Transient.Pipeline(Transient.RequestPatience, log);

    /// <summary>One dispatch at a time in this process: the reaper and a submit would otherwise both enqueue the same work.</summary>
    private static readonly SemaphoreSlim Gate = new(1, 1);

    private sealed record Pending(string Kind, long SubjectId, string Queue, string? JobId, int Dispatches);

    /// <summary>Creates a job for every piece of pending work without a live one; returns how many.</summary>
    public async Task<int> DispatchAsync(CancellationToken ct)
    {
        await Gate.WaitAsync(ct);
        try
        {
            return await DispatchOnceAsync(ct);
        }
        finally
        {
            Gate.Release();
        }
    }

    private async Task<int> DispatchOnceAsync(CancellationToken ct)
    {
        var pending = await _retry.ExecuteAsync(async token => await FindAsync(token), ct);
        var dispatched = 0;
        foreach (var work in pending)
        {
            if (work.Dispatches >= MaxDispatches)
            {
                if (work.Kind == WorkKind.Sample) await _retry.ExecuteAsync(async token => await GiveUpSampleAsync(work.SubjectId, token), ct);
                continue;
            }
            var jobId = await _retry.ExecuteAsync(_ => ValueTask.FromResult(Enqueue(work)), ct);
            await _retry.ExecuteAsync(async token => await RecordAsync(work, jobId, token), ct);
            if (work.JobId is not null) log.LogWarning("{Kind} {Subject}: its job {Old} was lost, finished or failed without result; enqueued {Job}", work.Kind, work.SubjectId, work.JobId, jobId);
            dispatched++;
        }
        return dispatched;
    }

    private string Enqueue(Pending work)
    {
        var id = work.SubjectId;
        var queue = JobQueues.Priority(work.Queue); // short jobs: before the sweep's queued training jobs
        return work.Kind switch
        {
            WorkKind.NGramBaseline => jobs.Enqueue<INGramBaselineJob>(queue, j => j.ComputeAsync(id, CancellationToken.None)),
            WorkKind.Analysis => jobs.Enqueue<IAnalyzeRunJob>(queue, j => j.AnalyzeAsync(id, CancellationToken.None)),
            WorkKind.Sample => jobs.Enqueue<ISampleJob>(queue, j => j.SampleAsync(id, CancellationToken.None)),
            _ => throw new InvalidOperationException($"unknown work kind {work.Kind}"),
        };
    }

    private async Task<List<Pending>> FindAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"""
            select w.kind, w.id, w.queue, wj.job_id, coalesce(wj.dispatches, 0) from (
              select $1 as kind, s.id, s.queue from sweeps s
              where not exists (select 1 from ngram_baselines b where b.sweep_id = s.id) and exists (select 1 from runs r where r.sweep_id = s.id)
              union all
              select $2, r.id, s.queue from runs r join sweeps s on s.id = r.sweep_id
              where r.status = any($4) and r.test_loss is not null and r.analyzed_at is null
              union all
              select $3, x.id, s.queue from samples x join runs r on r.id = x.run_id join sweeps s on s.id = r.sweep_id
              where x.finished_at is null
            ) w left join work_jobs wj on wj.kind = w.kind and wj.subject_id = w.id
            where not {RunLife.LiveJobSql("wj.job_id::bigint", "$5")}
            order by w.kind, w.id
            """);
        cmd.Parameters.AddWithValue(WorkKind.NGramBaseline);
        cmd.Parameters.AddWithValue(WorkKind.Analysis);
        cmd.Parameters.AddWithValue(WorkKind.Sample);
        cmd.Parameters.AddWithValue(RunLife.Analysable);
        cmd.Parameters.AddWithValue(RunLife.WaitingJobStates);
        var pending = new List<Pending>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            pending.Add(new Pending(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt32(4)));
        }
        return pending;
    }

    private async Task<int> RecordAsync(Pending work, string jobId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            insert into work_jobs (kind, subject_id, job_id, dispatches, dispatched_at) values ($1, $2, $3, 1, now())
            on conflict (kind, subject_id) do update set job_id = excluded.job_id, dispatches = work_jobs.dispatches + 1, dispatched_at = now()
            """);
        cmd.Parameters.AddWithValue(work.Kind);
        cmd.Parameters.AddWithValue(work.SubjectId);
        cmd.Parameters.AddWithValue(jobId);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task<int> GiveUpSampleAsync(long sampleId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("update samples set error = $2, finished_at = now() where id = $1 and finished_at is null");
        cmd.Parameters.AddWithValue(sampleId);
        cmd.Parameters.AddWithValue($"no Worker made this sample in {MaxDispatches} jobs; see the Hangfire dashboard's failed jobs");
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
