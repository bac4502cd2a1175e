using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>
/// Corpora in the database: the bytes stored once by checksum (<c>corpora</c>), found by any name they were given
/// (<c>corpus_names</c>; the newest bytes given under a name win). The names of <see cref="KnownCorpora"/> are the
/// exception: they only ever point at their own text (see <see cref="CheckKnownName"/>).
/// </summary>
public sealed class CorpusStore(RnnSweepDbContext db, IOptions<CorpusOptions> options)
{
    /// <summary>
    /// The corpus a name points at, or null. A name of <see cref="KnownCorpora"/> that points at other text (given
    /// before names were guarded) counts as unset, so the corpus's own text is fetched and the name moved back to it.
    /// </summary>
    public async Task<Corpus?> FindByNameAsync(string name, CancellationToken ct)
    {
        var corpus = await db.CorpusNames.AsNoTracking().Where(n => n.Name == name).Select(n => n.Corpus).FirstOrDefaultAsync(ct)
            // rows written without a name entry (tests' synthetic sweeps, hand-made rows)
            ?? await db.Corpora.AsNoTracking().Where(c => c.Name == name).OrderByDescending(c => c.Id).FirstOrDefaultAsync(ct);
        return corpus is null || IsOwnText(name, corpus.Sha256, corpus.Recipe) ? corpus : null;
    }

    public async Task<bool> ExistsAsync(string name, CancellationToken ct) =>
        await db.CorpusNames.AnyAsync(n => n.Name == name, ct) || await db.Corpora.AnyAsync(c => c.Name == name, ct);

    /// <summary>
    /// Stores the bytes unless the same bytes are stored already, and points <paramref name="name"/> at them; returns
    /// the stored row and whether its bytes are new. The bytes go into <c>corpus_chunks</c> as they are read from
    /// <paramref name="content"/>, so a corpus of any size passes through memory one chunk at a time. Must run inside
    /// the caller's transaction: two submissions that bring the same new corpus at once take the same advisory lock,
    /// so the second finds the first's row instead of breaking the unique checksum; a failure stores nothing.
    /// </summary>
    /// <param name="field">The request's field that gave the name, for the error when a named corpus's name is given other text.</param>
    /// <exception cref="ValidationException">The name is one of <see cref="KnownCorpora"/> and the bytes are not its text.</exception>
    public async Task<(Corpus Corpus, bool Created)> AddAsync(string name, PreparedCorpus content, CancellationToken ct, string field = "corpus")
    {
        if (db.Database.CurrentTransaction is null) throw new InvalidOperationException("CorpusStore.AddAsync needs a transaction");
        CheckKnownName(name, content.Sha256, content.Recipe, field); // before anything is written
        var sha = content.Sha256;
        await db.Database.ExecuteSqlAsync($"select pg_advisory_xact_lock(hashtext({"corpus:" + sha}))", ct);
        var corpus = await db.Corpora.FirstOrDefaultAsync(c => c.Sha256 == sha, ct);
        var created = corpus is null;
        if (corpus is null)
        {
            corpus = new Corpus
            {
                Name = name, Sha256 = sha, Bytes = content.Bytes, Characters = content.Characters,
                VocabularySize = content.VocabularySize, ByteVocabularySize = content.ByteVocabularySize, Recipe = content.Recipe,
                CreatedAt = DateTimeOffset.UtcNow,
            };
            db.Corpora.Add(corpus);
            await db.SaveChangesAsync(ct);
            await using (var bytes = content.Open())
            {
                corpus.Chunks = await CorpusChunks.WriteAsync((NpgsqlConnection)db.Database.GetDbConnection(), corpus.Id, bytes, ct, Math.Clamp(options.Value.ChunkBytes, 1, CorpusChunks.ChunkBytes * 4));
            }
            await db.SaveChangesAsync(ct);
        }
        await PointNameAsync(name, corpus.Id, ct);
        return (corpus, created);
    }

    /// <summary>Points <paramref name="name"/> at a stored corpus (in the caller's transaction); returns the row, tracked.</summary>
    public async Task<(Corpus Corpus, bool Created)> NameAsync(string name, Corpus stored, CancellationToken ct)
    {
        var corpus = await db.Corpora.SingleAsync(c => c.Id == stored.Id, ct);
        CheckKnownName(name, corpus.Sha256, corpus.Recipe, "corpus");
        await PointNameAsync(name, corpus.Id, ct);
        return (corpus, false);
    }

    private async Task PointNameAsync(string name, long corpusId, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        await db.Database.ExecuteSqlAsync($"""
            insert into corpus_names (name, corpus_id, created_at) values ({name}, {corpusId}, {now})
            on conflict (name) do update set corpus_id = excluded.corpus_id, created_at = excluded.created_at
            where corpus_names.corpus_id <> excluded.corpus_id
            """, ct);
    }

    /// <summary>
    /// A name RnnSweep knows (<c>tinyshakespeare</c>, <c>warandpeace-paper</c>, ...; any letter case) may only point at
    /// that corpus's text: bytes with its checksum, or for one built from source files (<c>linux</c>), bytes built by
    /// its recipe (the same globs, seed, separator and cap, from any source). Otherwise an upload or an inline text
    /// under that name would silently become what every later sweep on the name trains on, and its results would be
    /// set beside the paper's.
    /// </summary>
    /// <exception cref="ValidationException">Named by <paramref name="field"/>: the text is not the named corpus's.</exception>
    public static void CheckKnownName(string name, string sha256, string? storedRecipe, string field)
    {
        if (IsOwnText(name, sha256, storedRecipe)) return;
        var known = KnownCorpora.Find(name)!;
        var what = known.Recipe is null ? $"its text has SHA-256 {known.Sha256}, this one {sha256}" : "this text was not built by its recipe";
        throw new ValidationException(field, $"'{name}' is the name of RnnSweep's corpus {known.Name} ({known.Description}): {what}; store this text under another name (a file, folder or tarball given to --corpus is named after it: rename it)");
    }

    /// <summary>True unless <paramref name="name"/> is one of <see cref="KnownCorpora"/> and the text is not its own.</summary>
    private static bool IsOwnText(string name, string sha256, string? storedRecipe) => KnownCorpora.Find(name) is not { } known
        || (known.Recipe is null ? sha256 == known.Sha256 : storedRecipe is not null && BuiltBy(storedRecipe, known.Recipe));

    private static bool BuiltBy(string storedRecipe, CorpusRecipe recipe)
    {
        CorpusRecipe built;
        try
        {
            built = CorpusBuilder.StoredRecipe.Read(storedRecipe).ToRecipe();
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
        // The source is wherever this machine keeps it (and its version); everything that decides which bytes are taken must match.
        return (built.Include ?? []).SequenceEqual(recipe.Include ?? []) && (built.Exclude ?? []).SequenceEqual(recipe.Exclude ?? [])
            && built.Seed == recipe.Seed && built.SeparatorOrDefault == recipe.SeparatorOrDefault && built.MaxBytes == recipe.MaxBytes;
    }
}
