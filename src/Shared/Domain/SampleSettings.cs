namespace RnnSweep.Shared.Domain;

/// <summary>
/// How a sample is drawn from a run's best checkpoint: the one sampling record. It is the body of
/// <c>POST /api/runs/{id}/samples</c>, the defaults of <c>rnnsweep sample</c> and of <c>GET /api/samples/defaults</c>
/// (which the dashboard's form can read), and the Worker's sampling options start from it, so each default is
/// written here only. Stored per sample in <c>samples</c>.
/// </summary>
public sealed record SampleSettings
{
    /// <summary>Every field at its default: multinomial, temperature 1, top 10, no prime, seed 42, 500 symbols, one sample.</summary>
    public static readonly SampleSettings Default = new();

    public const int MaxLength = 20_000;
    /// <summary>Most samples one request may ask for (<see cref="Count"/>).</summary>
    public const int MaxCount = 64;
    /// <summary>Largest temperature accepted (the range is (0, <see cref="MaxTemperature"/>]).</summary>
    public const double MaxTemperature = 100;
    /// <summary>Largest top k accepted (the range is 1 to <see cref="MaxTopK"/>).</summary>
    public const int MaxTopK = 65_535;
    public const int MaxPrimeLength = 10_000;
    /// <summary>Largest request body accepted, in bytes.</summary>
    public const long MaxBodyBytes = 256 * 1024;

    /// <summary><c>greedy</c>, <c>multinomial</c> or <c>topk</c> (<see cref="SamplingMethods"/>).</summary>
    public string Method { get; init; } = SamplingMethods.Multinomial;
    /// <summary>Logits are divided by it before the softmax: lower is more conservative; in (0, 100].</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>With <c>topk</c>: draw among the k likeliest symbols; 1 to 65535.</summary>
    public int TopK { get; init; } = 10;
    /// <summary>Text fed to the model first, which the sample continues; empty for none.</summary>
    public string PrimeText { get; init; } = "";
    /// <summary>
    /// Largest seed (and seed + count - 1): 2^31 - 1. Why: each text draws from .NET's seeded <see cref="Random"/>,
    /// which has one state per seed only from 0 to 2^31 - 1; larger seeds folded onto those, so two seeds of one
    /// request (2^31 - 1 and 2^31) gave the same text.
    /// </summary>
    public const long MaxSeed = int.MaxValue;

    /// <summary>Random seed, 0 to <see cref="MaxSeed"/>: the same seed and settings give the same text.</summary>
    public long Seed { get; init; } = 42;
    /// <summary>Symbols to generate (characters, or bytes in a byte vocabulary), after the prime.</summary>
    public int Length { get; init; } = 500;
    /// <summary>
    /// Samples drawn in one pass over the weights (a batch of <see cref="Count"/> rows), 1 to <see cref="MaxCount"/>:
    /// sample i draws with seed <see cref="Seed"/> + i, so the first is the text of the same request with count 1.
    /// </summary>
    public int Count { get; init; } = 1;

    /// <summary>Every problem at once, each naming its camelCase field.</summary>
    public IReadOnlyList<FieldError> Validate()
    {
        var errors = new List<FieldError>();
        // JSON null reaches non-nullable strings: each is named, never dereferenced.
        if (Method is null || !SamplingMethods.All.Contains(Method))
            errors.Add(new("method", $"must be {ClosedSet.OneOf(SamplingMethods.All)}, not {(Method is null ? "null" : $"'{Method}'")}"));
        if (!(Temperature > 0 && Temperature <= MaxTemperature)) errors.Add(new("temperature", $"must be in (0, {MaxTemperature}], not {Temperature}"));
        if (TopK is < 1 or > MaxTopK) errors.Add(new("topK", $"must be between 1 and {MaxTopK}, not {TopK}"));
        if (Length is < 1 or > MaxLength) errors.Add(new("length", $"must be between 1 and {MaxLength}, not {Length}"));
        if (PrimeText is null) errors.Add(new("primeText", "must be a string (empty for none), not null"));
        else if (PrimeText.Length > MaxPrimeLength) errors.Add(new("primeText", $"must be at most {MaxPrimeLength} characters, not {PrimeText.Length}"));
        else if (PrimeText.Contains('\0')) errors.Add(new("primeText", "contains a NUL character (U+0000)"));
        else if (!IsWellFormed(PrimeText)) errors.Add(new("primeText", "contains an unpaired UTF-16 surrogate: it is not text"));
        if (Seed is < 0 or > MaxSeed) errors.Add(new("seed", $"must be between 0 and {MaxSeed}, not {Seed}"));
        if (Count is < 1 or > MaxCount) errors.Add(new("count", $"must be between 1 and {MaxCount}, not {Count}"));
        else if (Seed is >= 0 and <= MaxSeed && Seed + Count - 1 > MaxSeed)
            errors.Add(new("seed", $"must leave room for {Count} seeds: seed + count - 1 at most {MaxSeed}, so at most {MaxSeed - Count + 1}, not {Seed}"));
        return errors;
    }

    /// <summary>No unpaired surrogate: PostgreSQL's text (UTF-8) cannot hold one.</summary>
    public static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return false;
        }
        return true;
    }
}
