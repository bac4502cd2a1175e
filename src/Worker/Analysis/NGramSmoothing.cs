namespace RnnSweep.Worker.Analysis;

/// <summary>How <see cref="NGramModel"/> mixes an order with the order below (both interpolated).</summary>
public enum NGramSmoothing
{
    WittenBell,
    AbsoluteDiscounting,
}

public static class NGramSmoothingNames
{
    public static string Name(this NGramSmoothing smoothing) => smoothing switch
    {
        NGramSmoothing.WittenBell => "interpolated Witten-Bell",
        NGramSmoothing.AbsoluteDiscounting => "interpolated absolute discounting (Ney's D per order)",
        _ => throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, null),
    };
}
