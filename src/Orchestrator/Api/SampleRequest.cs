using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Api;

/// <summary>The body of <c>POST /api/runs/{id}/samples</c> (and the options of <c>rnnsweep sample</c>).</summary>
public sealed record SampleRequest
{
    public const int MaxLength = 20_000;

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
        if (!SamplingMethods.All.Contains(Method)) errors.Add(new("method", $"must be {ClosedSet.OneOf(SamplingMethods.All)}, not '{Method}'"));
        if (!(Temperature > 0 && Temperature <= 100)) errors.Add(new("temperature", $"must be in (0, 100], not {Temperature}"));
        if (TopK is < 1 or > 65_535) errors.Add(new("topK", $"must be between 1 and 65535, not {TopK}"));
        if (Length is < 1 or > MaxLength) errors.Add(new("length", $"must be between 1 and {MaxLength}, not {Length}"));
        if (PrimeText.Length > 10_000) errors.Add(new("primeText", "must be at most 10000 characters"));
        if (Seed < 0) errors.Add(new("seed", $"must not be negative, not {Seed}"));
        return errors;
    }
}
