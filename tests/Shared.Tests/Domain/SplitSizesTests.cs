using RnnSweep.Shared.Domain;

namespace RnnSweep.Shared.Tests.Domain;

/// <summary>How a corpus is cut into train, validation and test, and the error naming the fraction to raise.</summary>
public sealed class SplitSizesTests
{
    [Fact]
    public void Contiguous_CutsByTheFractions_TheRestGoingToTest()
    {
        var hp = new Hyperparameters { TrainFraction = 0.9, ValFraction = 0.05, TestFraction = 0.05 };
        Assert.Equal((900L, 50L, 50L), SplitSizes.Of(1000, hp));
        Assert.Equal((90L, 5L, 6L), SplitSizes.Of(101, hp)); // floors: 90.9 and 5.05
    }

    [Fact]
    public void Streams_CutEachStreamByTheFractions_KeepingTheLastTargetInside()
    {
        var hp = new Hyperparameters { SplitLayout = SplitLayouts.Streams, BatchSize = 10, TrainFraction = 0.8, ValFraction = 0.1, TestFraction = 0.1 };

        // 1001 symbols: (1001 - 1) / 10 = 100 a stream, cut 80 / 10 / 10.
        Assert.Equal(100, SplitSizes.StreamLength(1001, hp));
        Assert.Equal((80L, 10L, 10L), SplitSizes.StreamParts(1001, hp));
        Assert.Equal((800L, 100L, 100L), SplitSizes.Of(1001, hp));
        Assert.Equal(99, SplitSizes.StreamLength(1000, hp)); // the last symbol of 1000 is only a target
    }

    [Fact]
    public void ALargeEnoughCorpus_HasNoError()
    {
        Assert.Empty(SplitSizes.Check(1_000_000, new Hyperparameters()));
    }

    [Fact]
    public void ATooSmallCorpus_NamesTheSplitAndWhatToRaise()
    {
        var hp = new Hyperparameters { BatchSize = 50, SeqLength = 50 }; // train needs 2501, validation and test 51 each

        var errors = SplitSizes.Check(1_000, hp, "spec.corpus"); // 900, 50 and 50

        Assert.Equal(3, errors.Count);
        Assert.All(errors, e => Assert.Equal("spec.corpus", e.Field));
        Assert.Contains("train split of 900", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("2501", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("hyperparameters.valFraction", errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("hyperparameters.testFraction", errors[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnlyTheValidationSplitTooSmall_IsOneError()
    {
        var hp = new Hyperparameters { BatchSize = 10, SeqLength = 10, TrainFraction = 0.98, ValFraction = 0.005, TestFraction = 0.015 };

        var error = Assert.Single(SplitSizes.Check(2_000, hp));
        Assert.Contains("validation split of 10", error.Message, StringComparison.Ordinal);
    }
}
