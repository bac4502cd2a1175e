using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Training;

/// <summary>The corpus cut into contiguous train, validation and test splits, in that order (as char-rnn).</summary>
public sealed record CorpusSplits(EncodedText Train, EncodedText Validation, EncodedText Test, int VocabularySize)
{
    /// <summary>Splits by the hyperparameters' fractions (<see cref="SplitSizes"/>); throws naming the corpus when a split is too small.</summary>
    public static CorpusSplits From(EncodedText text, int vocabularySize, Hyperparameters hp)
    {
        if (SplitSizes.Check(text.Length, hp) is { Count: > 0 } errors) throw new ValidationException(errors);
        var (train, validation, test) = SplitSizes.Of(text.Length, hp);
        return new CorpusSplits(
            text.Slice(0, train),
            text.Slice(train, validation),
            text.Slice(train + validation, test),
            vocabularySize);
    }
}
