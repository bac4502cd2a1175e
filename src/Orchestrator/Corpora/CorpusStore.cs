using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Data;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>
/// Corpora in the database: the bytes stored once by checksum (<c>corpora</c>), found by any name they were given
/// (<c>corpus_names</c>; the newest bytes given under a name win).
/// </summary>
public sealed class CorpusStore(RnnSweepDbContext db)
{
    public async Task<Corpus?> FindByNameAsync(string name, CancellationToken ct) =>
        await db.CorpusNames.Where(n => n.Name == name).Select(n => n.Corpus).FirstOrDefaultAsync(ct)
        // rows written without a name entry (tests' synthetic sweeps, hand-made rows)
        ?? await db.Corpora.Where(c => c.Name == name).OrderByDescending(c => c.Id).FirstOrDefaultAsync(ct);

    public async Task<bool> ExistsAsync(string name, CancellationToken ct) =>
        await db.CorpusNames.AnyAsync(n => n.Name == name, ct) || await db.Corpora.AnyAsync(c => c.Name == name, ct);

    /// <summary>
    /// Stores the bytes unless the same bytes are stored already, and points <paramref name="name"/> at them; returns
    /// the stored row and whether its bytes are new. Must run inside the caller's transaction: two submissions that
    /// bring the same new corpus at once take the same advisory lock, so the second finds the first's row instead
    /// of breaking the unique checksum.
    /// </summary>
    public async Task<(Corpus Corpus, bool Created)> AddAsync(string name, byte[] content, int vocabularySize, long characters, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is null) throw new InvalidOperationException("CorpusStore.AddAsync needs a transaction");
        var sha = CorpusSource.Sha256(content);
        await db.Database.ExecuteSqlAsync($"select pg_advisory_xact_lock(hashtext({"corpus:" + sha}))", ct);
        var corpus = await db.Corpora.FirstOrDefaultAsync(c => c.Sha256 == sha, ct);
        var created = corpus is null;
        if (corpus is null)
        {
            corpus = new Corpus
            {
                Name = name, Sha256 = sha, Bytes = content.Length, Characters = characters,
                VocabularySize = vocabularySize, Content = content, CreatedAt = DateTimeOffset.UtcNow,
            };
            db.Corpora.Add(corpus);
            await db.SaveChangesAsync(ct);
        }
        var now = DateTimeOffset.UtcNow;
        await db.Database.ExecuteSqlAsync($"""
            insert into corpus_names (name, corpus_id, created_at) values ({name}, {corpus.Id}, {now})
            on conflict (name) do update set corpus_id = excluded.corpus_id, created_at = excluded.created_at
            where corpus_names.corpus_id <> excluded.corpus_id
            """, ct);
        return (corpus, created);
    }
}
