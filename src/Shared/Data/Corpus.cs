namespace RnnSweep.Shared.Data;

/// <summary>
/// A training text, stored whole so that Workers on other machines need only a database connection
/// (they cache it locally by <see cref="Sha256"/>). Identical texts are stored once.
/// </summary>
public sealed class Corpus
{
    public long Id { get; set; }
    public required string Name { get; set; }
    /// <summary>Lowercase hex SHA-256 of <see cref="Content"/>.</summary>
    public required string Sha256 { get; set; }
    public long Bytes { get; set; }
    /// <summary>Unicode code points.</summary>
    public long Characters { get; set; }
    /// <summary>Distinct characters (the <c>chars</c> vocabulary size).</summary>
    public int VocabularySize { get; set; }
    /// <summary>UTF-8 bytes as given (validated as UTF-8 at submission).</summary>
    public required byte[] Content { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
