using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Training;

/// <summary>The corpus cut into train, validation and test splits by <see cref="Hyperparameters.SplitLayout"/>.</summary>
public sealed record CorpusSplits(EncodedText Train, EncodedText Validation, EncodedText Test, int VocabularySize)
{
    /// <summary>Splits by the hyperparameters' fractions (<see cref="SplitSizes"/>); throws naming the corpus when a split is too small.</summary>
    public static CorpusSplits From(EncodedText text, int vocabularySize, Hyperparameters hp)
    {
        if (SplitSizes.Check(text.Length, hp) is { Count: > 0 } errors) throw new ValidationException(errors);
        if (hp.SplitLayout == "streams") return Streams(text, vocabularySize, hp);
        var (train, validation, test) = SplitSizes.Of(text.Length, hp);
        return new CorpusSplits(
            text.Slice(0, train),
            text.Slice(train, validation),
            text.Slice(train + validation, test),
            vocabularySize);
    }

    /// <summary>
    /// char-rnn's layout: stream b is symbols [b L, (b + 1) L); its first part trains, the next validates, the
    /// last tests. Each split holds batchSize segments, one per stream, each with the symbol after it as the last
    /// target, so training and evaluation read exactly the streams char-rnn reads.
    /// </summary>
    private static CorpusSplits Streams(EncodedText text, int vocabularySize, Hyperparameters hp)
    {
        var length = SplitSizes.StreamLength(text.Length, hp);
        var (train, validation, test) = SplitSizes.StreamParts(text.Length, hp);
        EncodedText Part(long offset, long inputs) =>
            EncodedText.Join([.. Enumerable.Range(0, hp.BatchSize).Select(b => text.Slice(b * length + offset, inputs + 1))]);
        return new CorpusSplits(Part(0, train), Part(train, validation), Part(train + validation, test), vocabularySize);
    }
}
