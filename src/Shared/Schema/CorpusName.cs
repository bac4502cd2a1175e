namespace RnnSweep.Shared.Schema;

/// <summary>
/// A name a corpus was given (<c>corpus_names</c>). Identical bytes are stored once (<see cref="Corpus.Sha256"/>) but
/// keep every name they were uploaded or submitted under; a name points at the newest bytes given under it.
/// </summary>
public sealed class CorpusName
{
    public required string Name { get; set; }
    public long CorpusId { get; set; }
    public Corpus? Corpus { get; set; }
    /// <summary>When the name last pointed to this corpus.</summary>
    public DateTimeOffset CreatedAt { get; set; }
}
