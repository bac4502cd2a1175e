namespace RnnSweep.Shared.Domain;

/// <summary>How the corpus is split into train, validation and test (<c>hyperparameters.splitLayout</c>).</summary>
public static class SplitLayouts
{
    /// <summary>The first, middle and last part of the corpus.</summary>
    public const string Contiguous = "contiguous";
    /// <summary>char-rnn's: batchSize streams, each split by the fractions.</summary>
    public const string Streams = "streams";

    public static readonly IReadOnlyList<string> All = [Contiguous, Streams];
}
