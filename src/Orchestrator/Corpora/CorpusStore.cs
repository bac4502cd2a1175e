using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>
/// Corpora in the database: the bytes stored once by checksum (<c>corpora</c>), found by any name they were given
/// (<c>corpus_names</c>; the newest bytes given under a name win).
/// </summary>
public sealed class CorpusStore(RnnSweepDbContext db, IOptions<CorpusOptions> options)
{
    public async Task<Corpus?> FindByNameAsync(string name, CancellationToken ct) =>
        await db.CorpusNames.AsNoTracking().Where(n => n.Name == name).Select(n => n.Corpus).FirstOrDefaultAsync(ct)
        // rows written without a name entry (tests' synthetic sweeps, hand-made rows)
        ?? await db.Corpora.AsNoTracking().Where(c => c.Name == name).OrderByDescending(c => c.Id).FirstOrDefaultAsync(ct);

    public async Task<bool> ExistsAsync(string name, CancellationToken ct) =>
        await db.CorpusNames.AnyAsync(n => n.Name == name, ct) || await db.Corpora.AnyAsync(c => c.Name == name, ct);

    /// <summary>
    /// Stores the bytes unless the same bytes are stored already, and points <paramref name="name"/> at them; returns
    /// the stored row and whether its bytes are new. The bytes go into <c>corpus_chunks</c> as they are read from
    /// <paramref name="content"/>, so a corpus of any size passes through memory one chunk at a time. Must run inside
    /// the caller's transaction: two submissions that bring the same new corpus at once take the same advisory lock,
    /// so the second finds the first's row instead of breaking the unique checksum; a failure stores nothing.
    /// </summary>
    public async Task<(Corpus Corpus, bool Created)> AddAsync(string name, PreparedCorpus content, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is null) throw new InvalidOperationException("CorpusStore.AddAsync needs a transaction");
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
}
