using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Api;

/// <summary>The body of <c>POST /api/runs/{id}/samples</c> (and the options of <c>rnnsweep sample</c>).</summary>
public sealed record SampleRequest
{
    public const int MaxLength = 20_000;
    public const int MaxPrimeLength = 10_000;
    /// <summary>Largest request body accepted, in bytes.</summary>
    public const long MaxBodyBytes = 256 * 1024;

    /// <summary><c>greedy</c>, <c>multinomial</c> or <c>topk</c>.</summary>
    public string Method { get; init; } = SamplingMethods.Multinomial;
    public double Temperature { get; init; } = 1.0;
    public int TopK { get; init; } = 10;
    public string PrimeText { get; init; } = "";
    public long Seed { get; init; } = 42;
    public int Length { get; init; } = 500;

    public IReadOnlyList<FieldError> Validate()
    {
        var errors = new List<FieldError>();
        // JSON null reaches non-nullable strings: each is named, never dereferenced.
        if (Method is null || !SamplingMethods.All.Contains(Method))
            errors.Add(new("method", $"must be {ClosedSet.OneOf(SamplingMethods.All)}, not {(Method is null ? "null" : $"'{Method}'")}"));
        if (!(Temperature > 0 && Temperature <= 100)) errors.Add(new("temperature", $"must be in (0, 100], not {Temperature}"));
        if (TopK is < 1 or > 65_535) errors.Add(new("topK", $"must be between 1 and 65535, not {TopK}"));
        if (Length is < 1 or > MaxLength) errors.Add(new("length", $"must be between 1 and {MaxLength}, not {Length}"));
        if (PrimeText is null) errors.Add(new("primeText", "must be a string (empty for none), not null"));
        else if (PrimeText.Length > MaxPrimeLength) errors.Add(new("primeText", $"must be at most {MaxPrimeLength} characters, not {PrimeText.Length}"));
        else if (PrimeText.Contains('\0')) errors.Add(new("primeText", "contains a NUL character (U+0000)"));
        else if (!IsWellFormed(PrimeText)) errors.Add(new("primeText", "contains an unpaired UTF-16 surrogate: it is not text"));
        if (Seed < 0) errors.Add(new("seed", $"must not be negative, not {Seed}"));
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
