namespace RnnSweep.Worker.Analysis;

/// <summary>How <see cref="NGramModel"/> mixes an order with the order below (both interpolated).</summary>
public enum NGramSmoothing
{
    /// <summary>Chen and Goodman's interpolated modified Kneser-Ney (<see cref="KneserNeyModel"/>): the baseline.</summary>
    ModifiedKneserNey,
    WittenBell,
    AbsoluteDiscounting,
}

public static class NGramSmoothingNames
{
    public static string Name(this NGramSmoothing smoothing) => smoothing switch
    {
        NGramSmoothing.ModifiedKneserNey => "interpolated modified Kneser-Ney",
        NGramSmoothing.WittenBell => "interpolated Witten-Bell",
        NGramSmoothing.AbsoluteDiscounting => "interpolated absolute discounting (Ney's D per order)",
        _ => throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, null),
    };

    /// <summary>The setting's spelling (<c>kneser-ney</c>, <c>witten-bell</c>, <c>absolute</c>); throws naming the allowed ones.</summary>
    public static NGramSmoothing Parse(string setting) => setting.Trim().ToLowerInvariant() switch
    {
        "kneser-ney" => NGramSmoothing.ModifiedKneserNey,
        "witten-bell" => NGramSmoothing.WittenBell,
        "absolute" => NGramSmoothing.AbsoluteDiscounting,
        _ => throw new ArgumentException($"unknown n-gram smoothing '{setting}': use kneser-ney, witten-bell or absolute", nameof(setting)),
    };
}
