using Hangfire;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Api;

/// <summary>
/// Sampling from a stored checkpoint, for the API and the CLI alike. The Orchestrator has no TorchSharp: it stores
/// the request as a pending <c>samples</c> row, a Worker on the sweep's queue fills it in, and the caller waits.
/// </summary>
public static class SampleRequests
{
    public static async Task<long> RequestAsync(RnnSweepDbContext db, IBackgroundJobClient jobs, long runId, SampleSettings request, string runField, CancellationToken ct)
    {
        if (request.Validate() is { Count: > 0 } errors) throw new ValidationException(errors);
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.Id, r.Sweep!.Queue, r.Hyperparameters, r.Sweep.CorpusId }).SingleOrDefaultAsync(ct)
                  ?? throw new ValidationException(runField, $"no run {runId}");
        if (!await db.Checkpoints.AnyAsync(c => c.RunId == runId && c.Kind == CheckpointKind.Best, ct))
            throw new ValidationException(runField, $"run {runId} has no best checkpoint yet");
        await CheckVocabularyAsync(db, request.PrimeText, run.Hyperparameters, run.CorpusId, ct);
        var sample = new Sample
        {
            RunId = runId, Method = request.Method, Temperature = request.Temperature, TopK = request.TopK,
            PrimeText = request.PrimeText, Seed = request.Seed, Length = request.Length, Count = request.Count, CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Samples.Add(sample);
        await db.SaveChangesAsync(ct);
        var sampleId = sample.Id;
        try
        {
            var jobId = jobs.Enqueue<ISampleJob>(JobQueues.Priority(run.Queue), job => job.SampleAsync(sampleId, CancellationToken.None));
            // The reaper may have dispatched it already (it sees every unfinished sample): then its job stands.
            await db.Database.ExecuteSqlAsync($"""
                insert into work_jobs (kind, subject_id, job_id, dispatches, dispatched_at) values ({WorkKind.Sample}, {sampleId}, {jobId}, 1, now())
                on conflict (kind, subject_id) do nothing
                """, ct);
        }
        catch (Exception e) when (e is BackgroundJobClientException || Transient.IsTransient(e))
        {
            // The request is stored: the reaper's WorkDispatcher gives it a job within seconds (the database says it is pending).
        }
        return sampleId;
    }

    /// <summary>
    /// The prime text must consist of symbols the run's model knows: its vocabulary is its corpus's (code points or
    /// UTF-8 bytes, per the run's hyperparameters), as the Worker builds it. Refused before anything is stored.
    /// </summary>
    private static async Task CheckVocabularyAsync(RnnSweepDbContext db, string prime, string hyperparameters, long corpusId, CancellationToken ct)
    {
        if (prime.Length == 0) return;
        var kind = System.Text.Json.JsonSerializer.Deserialize<Hyperparameters>(hyperparameters, Shared.Json.JsonContract.Options)?.Vocabulary ?? "chars";
        var vocabulary = await CorpusVocabulary.OfAsync(db, corpusId, kind, ct);
        var unknown = vocabulary.SymbolsOf(prime).Where(s => !vocabulary.Contains(s)).Distinct().ToList();
        if (unknown.Count == 0) return;
        var shown = string.Join(", ", unknown.Take(10).Select(s => kind == "bytes" ? $"byte 0x{s:X2}" : $"'{char.ConvertFromUtf32(s)}' (U+{s:X4})"));
        throw new ValidationException("primeText", $"has {unknown.Count} symbol(s) the run's vocabulary ({vocabulary.Size} {kind}) lacks: {shown}{(unknown.Count > 10 ? ", ..." : "")}");
    }

    /// <summary>Polls until a Worker has filled the sample in (or said why not); null when the wait ran out.</summary>
    public static async Task<Sample?> WaitAsync(RnnSweepDbContext db, long sampleId, TimeSpan wait, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            var sample = await db.Samples.AsNoTracking().SingleAsync(s => s.Id == sampleId, ct);
            if (sample.FinishedAt is not null) return sample;
            if (DateTime.UtcNow >= deadline) return null;
            await Task.Delay(200, ct);
        }
    }
}
