using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Sweeps;

/// <param name="Runs">How many runs (grid cells) the sweep has.</param>
public sealed record SubmitResult(Sweep Sweep, bool Created, int Runs);

/// <summary>
/// Stores a validated sweep, its corpus and one run per grid cell in one transaction, then enqueues the runs.
/// Submitting the same spec again (or the same idempotency key) returns the existing sweep.
/// </summary>
public sealed class SweepSubmitter(RnnSweepDbContext db, CorpusSource corpora, CorpusBuilder builder, CorpusStore stored, RunDispatcher dispatcher, WorkDispatcher work, ILogger<SweepSubmitter> log)
{
    /// <param name="access">Who submits: an API or form client (the default) may build a corpus only from sources under the
    /// configured roots; the CLI passes <see cref="SourceAccess.LocalUser"/>.</param>
    public async Task<SubmitResult> SubmitAsync(SweepSpec spec, string? idempotencyKey, CancellationToken ct, SourceAccess access = SourceAccess.ConfiguredRoots)
    {
        var sweep = await ResolveAsync(spec, ct);
        if (idempotencyKey is { Length: > 200 }) throw new ValidationException("Idempotency-Key", "must be at most 200 characters");

        // The corpus: inline text, else a recipe, else one stored under that name, else a known or data-directory corpus.
        var field = sweep.CorpusText is not null ? "corpusText" : sweep.CorpusRecipe is not null ? "corpusRecipe" : "corpus";
        var existing = sweep.CorpusText is null && sweep.CorpusRecipe is null ? await stored.FindByNameAsync(sweep.Corpus, ct) : null;
        using var content = existing is not null ? null
            : sweep.CorpusText is not null ? PreparedCorpus.FromBytes(Encoding.UTF8.GetBytes(sweep.CorpusText), corpora.MaxBytes, field)
            : sweep.CorpusRecipe is not null ? await builder.BuildAsync(sweep.CorpusRecipe, field, access, ct)
            : await corpora.PrepareAsync(sweep.Corpus, field, ct);
        var (bytes, characters, byteVocabulary, vocabularySize) = existing is not null
            ? (existing.Bytes, existing.Characters, existing.ByteVocabularySize, existing.VocabularySize)
            : (content!.Bytes, content.Characters, content.ByteVocabularySize, content.VocabularySize);
        var variants = sweep.Variants().ToList();
        // Axes may change the splits or the vocabulary (batchSize, fractions, vocabulary): each distinct setting is checked.
        foreach (var hp in variants.Select(v => v.Hyperparameters with { Seed = 0 }).Distinct()) CorpusCheck.Splits(bytes, characters, byteVocabulary, hp, field);
        int ModelVocabulary(Hyperparameters hp) => hp.Vocabulary == VocabularyKinds.Bytes ? byteVocabulary : vocabularySize;
        var sha = existing?.Sha256 ?? content!.Sha256;
        var specJson = JsonSerializer.Serialize(sweep with { CorpusText = null }, SpecResolver.Json);
        var identityJson = IdentityJson(sweep);
        var specHash = CorpusSource.Sha256(Encoding.UTF8.GetBytes(identityJson + "\n" + sha));

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

            var same = idempotencyKey is not null
                ? await db.Sweeps.FirstOrDefaultAsync(s => s.IdempotencyKey == idempotencyKey, ct)
                : await db.Sweeps.FirstOrDefaultAsync(s => s.SpecHash == specHash, ct)
                    ?? await FindWrittenByAnOlderVersionAsync(sweep.Name, null, identityJson, sha, ct);
            if (same is not null)
            {
                if (idempotencyKey is not null && same.SpecHash != specHash
                    && (await FindWrittenByAnOlderVersionAsync(sweep.Name, idempotencyKey, identityJson, sha, ct))?.Id != same.Id)
                {
                    throw new ValidationException("Idempotency-Key", $"was already used for sweep {same.Id} with a different spec");
                }
                return new SubmitResult(same, Created: false, await db.Runs.CountAsync(r => r.SweepId == same.Id, ct));
            }

            // One row per grid cell and variant (seed, axis values), written with COPY inside the submission's transaction.
            var variantJson = variants.Select(v => JsonSerializer.Serialize(v.Hyperparameters, SpecResolver.Json)).ToList();
            var cells = sweep.Cells().SelectMany(c => variants.Select((v, i) =>
            {
                var vocabulary = ModelVocabulary(v.Hyperparameters);
                var hidden = sweep.HiddenOf(c.Model, c.Layers, c.Size, vocabulary, v.Hyperparameters);
                // A matched size can pass the limit a row's own size is held to (an RNN needs about twice an LSTM's
                // units): refused here, where the vocabulary that decides it is known, before anything is stored.
                if (hidden > SpecResolver.MaxHidden)
                {
                    throw new ValidationException("hiddenSizes", $"row {c.Size}: the {c.Model.Name()} with {c.Layers} layer{(c.Layers == 1 ? "" : "s")} needs {hidden} units to match the row's parameter count; at most {SpecResolver.MaxHidden}");
                }
                var cost = RunCost.Estimate(c.Model, c.Layers, hidden, vocabulary, v.Hyperparameters, bytes, characters);
                return new NewRun(c.Model.Name(), c.Layers, c.Size, hidden, variantJson[i], v.Seed, v.AxesJson, cost, v.Hyperparameters.MaxEpochs); // a maxEpochs axis sets each run's cap
            })).ToList();

            var (corpus, _) = content is not null ? await stored.AddAsync(sweep.Corpus, content, ct) : await stored.NameAsync(sweep.Corpus, existing!, ct);

            var now = DateTimeOffset.UtcNow;
            var hyperparameters = JsonSerializer.Serialize(sweep.Hyperparameters, SpecResolver.Json);
            var created = new Sweep
            {
                Name = sweep.Name, Spec = specJson, SpecHash = specHash, IdempotencyKey = idempotencyKey,
                Corpus = corpus, Queue = sweep.Queue, CreatedAt = now,
            };
            db.Sweeps.Add(created);
            await db.SaveChangesAsync(ct);
            var runs = await RunLife.CreateRunsAsync((NpgsqlConnection)db.Database.GetDbConnection(), created.Id, cells, hyperparameters,
                sweep.Hyperparameters.Seed, sweep.Hyperparameters.MaxEpochs, now, ct);
            await tx.CommitAsync(ct);
            return new SubmitResult(created, Created: true, runs);
        });

        if (result.Created)
        {
            log.LogInformation("Sweep {SweepId} '{Sweep}' created with {Runs} runs on corpus {Corpus} in {Milliseconds} ms",
                result.Sweep.Id, result.Sweep.Name, result.Runs, sweep.Corpus, clock.ElapsedMilliseconds);
        }
        // The sweep is stored: from here on nothing may fail the request. Its jobs (runs, n-gram baseline) are created
        // now if Hangfire's storage answers, else by the reaper within seconds, since the tables say what is pending.
        // Also for an existing sweep: a crash between commit and enqueue left runs without a job.
        clock.Restart();
        try
        {
            var enqueued = (await dispatcher.DispatchAsync(result.Sweep.Id, ct)).Count;
            await work.DispatchAsync(ct);
            if (enqueued > 0) log.LogInformation("{Count} jobs enqueued in {Milliseconds} ms", enqueued, clock.ElapsedMilliseconds);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("Sweep {SweepId} stored; its jobs will be created by the reaper ({Error})", result.Sweep.Id, e.Message);
        }
        return result;
    }

    /// <summary>
    /// The sweep's identity: every list in a canonical order (layers and sizes are sorted by SpecResolver; models keep
    /// the order given for the table's columns, so they are sorted here), so the same grid in another order is the
    /// same sweep.
    /// </summary>
    private static string IdentityJson(ResolvedSweep sweep) =>
        JsonSerializer.Serialize(sweep with { CorpusText = null, Models = [.. sweep.Models.Order()] }, SpecResolver.Json);

    /// <summary>
    /// The same sweep stored by an older version, whose hash no longer matches: its spec was written before fields were
    /// added (a hyperparameter, the corpus recipe) or before models were sorted. Read back with today's types, an absent
    /// field takes today's default, which is what that version did, so the identity is compared as today writes it.
    /// Without this, the same command after an upgrade would train every cell again in a second sweep.
    /// </summary>
    /// <param name="idempotencyKey">Only a sweep submitted with this key; null: any.</param>
    private async Task<Sweep?> FindWrittenByAnOlderVersionAsync(string name, string? idempotencyKey, string identityJson, string corpusSha, CancellationToken ct)
    {
        var candidates = await db.Sweeps.Where(s => s.Name == name && (idempotencyKey == null || s.IdempotencyKey == idempotencyKey) && s.Corpus!.Sha256 == corpusSha)
            .OrderBy(s => s.Id).ToListAsync(ct);
        foreach (var candidate in candidates)
        {
            ResolvedSweep? stored;
            try
            {
                stored = JsonSerializer.Deserialize<ResolvedSweep>(candidate.Spec, SpecResolver.Json);
            }
            catch (JsonException)
            {
                continue; // a shape today's types cannot read is not the same sweep
            }
            // A member today's types require that the stored spec lacks (or holds as null) reads back as null, which the
            // reader does not refuse: such a spec is not this sweep either, and sorting its null models would throw.
            if (stored is { Name: not null, Corpus: not null, Models: not null, Layers: not null, HiddenSizes: not null, Hyperparameters: not null, Queue: not null }
                && IdentityJson(stored) == identityJson) return candidate;
        }
        return null;
    }

    /// <summary><see cref="SpecResolver.Resolve"/>, with an unknown corpus named among the other field errors.</summary>
    private async Task<ResolvedSweep> ResolveAsync(SweepSpec spec, CancellationToken ct)
    {
        try
        {
            return SpecResolver.Resolve(spec);
        }
        // A name given with corpusText or corpusRecipe is the name to store a new corpus under: not looked up.
        catch (ValidationException e) when (spec.CorpusText is null && spec.CorpusRecipe is null && e.Errors.All(f => f.Field != "corpus"))
        {
            // why: otherwise a form with a mistyped field and a mistyped corpus learns of the corpus only on the second try.
            var name = (spec.Corpus ?? Presets.Find(spec.Preset ?? "")?.Corpus)?.Trim();
            if (name is null || corpora.CanLoad(name) || await stored.ExistsAsync(name, ct)) throw;
            throw new ValidationException([.. e.Errors, new FieldError("corpus", corpora.UnknownMessage(name))]);
        }
    }
}
