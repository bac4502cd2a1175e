using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>Corpora in the database: stored once by checksum, found by name (the newest upload of a name wins).</summary>
public sealed class CorpusStore(RnnSweepDbContext db)
{
    public Task<Corpus?> FindByNameAsync(string name, CancellationToken ct) =>
        db.Corpora.Where(c => c.Name == name).OrderByDescending(c => c.Id).FirstOrDefaultAsync(ct);

    public Task<bool> ExistsAsync(string name, CancellationToken ct) => db.Corpora.AnyAsync(c => c.Name == name, ct);

    /// <summary>Adds the corpus unless the same bytes are stored already; returns the stored row (not yet saved when new).</summary>
    public async Task<Corpus> AddAsync(string name, byte[] content, int vocabularySize, long characters, CancellationToken ct)
    {
        var sha = CorpusSource.Sha256(content);
        var existing = await db.Corpora.FirstOrDefaultAsync(c => c.Sha256 == sha, ct);
        if (existing is not null) return existing;
        var corpus = new Corpus
        {
            Name = name, Sha256 = sha, Bytes = content.Length, Characters = characters,
            VocabularySize = vocabularySize, Content = content, CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Corpora.Add(corpus);
        return corpus;
    }
}
