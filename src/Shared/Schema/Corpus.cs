namespace RnnSweep.Shared.Schema;

/// <summary>
/// A training text. Its bytes are stored in pieces (<see cref="CorpusChunk"/>, <c>corpus_chunks</c>) rather than in one
/// field, so a corpus may be larger than PostgreSQL's 1 GB field limit; Workers on other machines need only a database
/// connection and stream it to a file they keep by <see cref="Sha256"/>. Identical texts are stored once.
/// </summary>
public sealed class Corpus
{
    public long Id { get; set; }
    public required string Name { get; set; }
    /// <summary>Lowercase hex SHA-256 of the whole text (its chunks in order).</summary>
    public required string Sha256 { get; set; }
    public long Bytes { get; set; }
    /// <summary>Unicode code points.</summary>
    public long Characters { get; set; }
    /// <summary>Distinct characters (the <c>chars</c> vocabulary size).</summary>
    public int VocabularySize { get; set; }
    /// <summary>Distinct byte values (the <c>bytes</c> vocabulary size).</summary>
    public int ByteVocabularySize { get; set; }
    /// <summary>How many <c>corpus_chunks</c> rows hold the text (0 only while it is being written in the same transaction).</summary>
    public int Chunks { get; set; }
    /// <summary>
    /// For a corpus built from a source tree or tarball: its recipe as JSON (source and its SHA-256, include and exclude
    /// globs, seed, separator, size cap, and the files taken), enough to build the same bytes again and check them.
    /// </summary>
    public string? Recipe { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
