namespace RnnSweep.Shared.Schema;

/// <summary>A grid submitted as one unit: a corpus, model types x layer counts x hidden sizes, shared hyperparameters.</summary>
public sealed class Sweep
{
    public long Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The resolved spec (preset applied, defaults filled in) as submitted, jsonb.</summary>
    public required string Spec { get; set; }
    /// <summary>SHA-256 of the canonical spec and corpus: an identical resubmission returns this sweep.</summary>
    public required string SpecHash { get; set; }
    /// <summary>Optional client-chosen key (HTTP header <c>Idempotency-Key</c> or CLI flag) for the same purpose.</summary>
    public string? IdempotencyKey { get; set; }
    public long CorpusId { get; set; }
    public Corpus? Corpus { get; set; }
    /// <summary>The Hangfire queue the sweep's runs go to (<c>cpu</c>, <c>gpu</c>, ...).</summary>
    public required string Queue { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<Run> Runs { get; set; } = [];
}
