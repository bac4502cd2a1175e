using System.Text;
using Hangfire;
using RnnSweep.Shared.Jobs;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Sweeps;

/// <param name="Runs">How many runs (grid cells) the sweep has.</param>
public sealed record SubmitResult(Sweep Sweep, bool Created, int Runs);

/// <summary>
/// Stores a validated sweep, its corpus and one run per grid cell in one transaction, then enqueues the runs.
/// Submitting the same spec again (or the same idempotency key) returns the existing sweep.
/// </summary>
public sealed class SweepSubmitter(RnnSweepDbContext db, CorpusSource corpora, CorpusStore stored, RunDispatcher dispatcher, IBackgroundJobClient jobs, ILogger<SweepSubmitter> log)
{
    public async Task<SubmitResult> SubmitAsync(SweepSpec spec, string? idempotencyKey, CancellationToken ct)
    {
        var sweep = await ResolveAsync(spec, ct);
        if (idempotencyKey is { Length: > 200 }) throw new ValidationException("Idempotency-Key", "must be at most 200 characters");

        // The corpus: inline text, else one uploaded under that name, else a known or data-directory corpus.
        var content = sweep.CorpusText is not null ? Encoding.UTF8.GetBytes(sweep.CorpusText)
            : (await stored.FindByNameAsync(sweep.Corpus, ct))?.Content ?? await corpora.LoadAsync(sweep.Corpus, ct);
        var field = sweep.CorpusText is not null ? "corpusText" : "corpus";
        var (characters, vocabularySize) = CorpusCheck.Text(content, corpora.MaxBytes, field);
        CorpusCheck.Splits(content, sweep.Hyperparameters, field);
        var modelVocabulary = sweep.Hyperparameters.Vocabulary == "bytes" ? Vocabulary.Build(content, "bytes").Size : vocabularySize;
        var sha = CorpusSource.Sha256(content);
        var specJson = JsonSerializer.Serialize(sweep with { CorpusText = null }, SpecResolver.Json);
        // The sweep's identity: every list in a canonical order (layers and sizes are sorted by SpecResolver; models
        // keep the order given for the table's columns, so they are sorted here), so the same grid in another
        // order is the same sweep. Sweeps stored before models were sorted are found by their hash as written.
        var identityJson = JsonSerializer.Serialize(sweep with { CorpusText = null, Models = [.. sweep.Models.Order()] }, SpecResolver.Json);
        var specHash = CorpusSource.Sha256(Encoding.UTF8.GetBytes(identityJson + "\n" + sha));
        var writtenHash = CorpusSource.Sha256(Encoding.UTF8.GetBytes(specJson + "\n" + sha));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var strategy = db.Database.CreateExecutionStrategy();
        var result = await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // Two identical submissions at the same moment: the second waits here and then finds the first.
            await db.Database.ExecuteSqlAsync($"select pg_advisory_xact_lock(hashtext({specHash}))", ct);
            if (idempotencyKey is not null)
            {
                await db.Database.ExecuteSqlAsync($"select pg_advisory_xact_lock(hashtext({idempotencyKey}))", ct);
            }

            var existing = await db.Sweeps.FirstOrDefaultAsync(s =>
                (idempotencyKey != null && s.IdempotencyKey == idempotencyKey) || (idempotencyKey == null && (s.SpecHash == specHash || s.SpecHash == writtenHash)), ct);
            if (existing is not null)
            {
                if (idempotencyKey is not null && existing.SpecHash != specHash && existing.SpecHash != writtenHash)
                {
                    throw new ValidationException("Idempotency-Key", $"was already used for sweep {existing.Id} with a different spec");
                }
                return new SubmitResult(existing, Created: false, await db.Runs.CountAsync(r => r.SweepId == existing.Id, ct));
            }

            var (corpus, _) = await stored.AddAsync(sweep.Corpus, content, vocabularySize, characters, ct);

            var now = DateTimeOffset.UtcNow;
            var hyperparameters = JsonSerializer.Serialize(sweep.Hyperparameters, SpecResolver.Json);
            var created = new Sweep
            {
                Name = sweep.Name, Spec = specJson, SpecHash = specHash, IdempotencyKey = idempotencyKey,
                Corpus = corpus, Queue = sweep.Queue, CreatedAt = now,
            };
            db.Sweeps.Add(created);
            await db.SaveChangesAsync(ct);
            var runs = await InsertRunsAsync(created.Id, sweep, hyperparameters, modelVocabulary, now, ct);
            await tx.CommitAsync(ct);
            return new SubmitResult(created, Created: true, runs);
        });

        if (result.Created)
        {
            log.LogInformation("Sweep {SweepId} '{Sweep}' created with {Runs} runs on corpus {Corpus} in {Milliseconds} ms",
                result.Sweep.Id, result.Sweep.Name, result.Runs, sweep.Corpus, clock.ElapsedMilliseconds);
            var sweepId = result.Sweep.Id;
            jobs.Enqueue<INGramBaselineJob>(sweep.Queue, job => job.ComputeAsync(sweepId, CancellationToken.None));
        }
        // Also for an existing sweep: a crash between commit and enqueue left runs without a job.
        clock.Restart();
        var enqueued = await dispatcher.EnqueuePendingAsync(result.Sweep.Id, ct);
        if (enqueued > 0) log.LogInformation("{Count} jobs enqueued in {Milliseconds} ms", enqueued, clock.ElapsedMilliseconds);
        return result;
    }

    /// <summary><see cref="SpecResolver.Resolve"/>, with an unknown corpus named among the other field errors.</summary>
    private async Task<ResolvedSweep> ResolveAsync(SweepSpec spec, CancellationToken ct)
    {
        try
        {
            return SpecResolver.Resolve(spec);
        }
        catch (ValidationException e) when (spec.CorpusText is null && e.Errors.All(f => f.Field != "corpus"))
        {
            // why: otherwise a form with a mistyped field and a mistyped corpus learns of the corpus only on the second try.
            var name = (spec.Corpus ?? Presets.Find(spec.Preset ?? "")?.Corpus)?.Trim();
            if (name is null || corpora.CanLoad(name) || await stored.ExistsAsync(name, ct)) throw;
            throw new ValidationException([.. e.Errors, new FieldError("corpus", corpora.UnknownMessage(name))]);
        }
    }

    /// <summary>
    /// One row per grid cell, written with COPY inside the submission's transaction: a 10,000-cell grid as one
    /// stream instead of 10,000 tracked entities (docs/benchmarks.md).
    /// </summary>
    private async Task<int> InsertRunsAsync(long sweepId, ResolvedSweep sweep, string hyperparameters, int vocabularySize, DateTimeOffset now, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var count = 0;
        await using var writer = await connection.BeginBinaryImportAsync(
            "copy runs (sweep_id, model, layers, size, hidden, hyperparameters, seed, status, attempt, divergence_retries, epochs_done, created_at) from stdin (format binary)", ct);
        foreach (var (model, layers, size) in sweep.Cells())
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(sweepId, NpgsqlDbType.Bigint, ct);
            await writer.WriteAsync(model.Name(), NpgsqlDbType.Text, ct);
            await writer.WriteAsync(layers, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(size, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(sweep.HiddenOf(model, layers, size, vocabularySize), NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(hyperparameters, NpgsqlDbType.Jsonb, ct);
            await writer.WriteAsync(sweep.Hyperparameters.Seed, NpgsqlDbType.Bigint, ct);
            await writer.WriteAsync(RunStatus.Queued, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(0, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(0, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(0, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
            count++;
        }
        await writer.CompleteAsync(ct);
        return count;
    }
}
