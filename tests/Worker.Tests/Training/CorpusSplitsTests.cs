using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

public class CorpusSplitsTests
{
    [Fact]
    public void From_CutsContiguousSplitsInOrder_WhenFractionsAreGiven()
    {
        var (text, v) = TestCorpus.Generate(1000);
        var hp = TestCorpus.SmallRun;

        var splits = CorpusSplits.From(text, v, hp);

        Assert.Equal([800L, 100L, 100L], new[] { splits.Train.Length, splits.Validation.Length, splits.Test.Length });
        Assert.Equal(text[800], splits.Validation[0]);
        Assert.Equal(text[999], splits.Test[99]);
    }

    [Fact]
    public void From_ThrowsNamingTheField_WhenTheValidationSplitIsSmallerThanABatch()
    {
        var (text, v) = TestCorpus.Generate(1000);
        var hp = TestCorpus.SmallRun with { BatchSize = 120, SeqLength = 2 };

        var error = Assert.Throws<ValidationException>(() => CorpusSplits.From(text, v, hp));

        Assert.All(error.Errors, e => Assert.Equal("corpus", e.Field));
        Assert.Collection(error.Errors,
            e => Assert.Contains("hyperparameters.valFraction", e.Message),
            e => Assert.Contains("hyperparameters.testFraction", e.Message));
    }

    [Fact]
    public void From_SplitsEveryStreamByTheFractions_InTheStreamsLayout()
    {
        // 1001 symbols, 10 streams: stream b is [100 b, 100 b + 100) and reads symbol 100 b + 100 as its last target.
        var (text, v) = TestCorpus.Generate(1001);
        var hp = TestCorpus.SmallRun with { BatchSize = 10, SeqLength = 8, SplitLayout = "streams" };

        var splits = CorpusSplits.From(text, v, hp);

        Assert.Equal([10 * 81L, 10 * 11L, 10 * 11L], new[] { splits.Train.Length, splits.Validation.Length, splits.Test.Length });
        Assert.All(new[] { splits.Train, splits.Validation, splits.Test }, s => Assert.Equal(10, s.Segments));
        for (var b = 0; b < 10; b++)
        {
            Assert.Equal(text[100 * b], splits.Train[81 * b]);
            Assert.Equal(text[100 * b + 80], splits.Train[81 * b + 80]);       // last target: the stream's first validation symbol
            Assert.Equal(text[100 * b + 80], splits.Validation[11 * b]);
            Assert.Equal(text[100 * b + 90], splits.Test[11 * b]);
            Assert.Equal(text[100 * b + 100], splits.Test[11 * b + 10]);
        }
    }

    [Fact]
    public void FromStreams_ReadsOneSegmentPerStream_InTheStreamsLayout()
    {
        var (text, v) = TestCorpus.Generate(1001);
        var hp = TestCorpus.SmallRun with { BatchSize = 10, SeqLength = 8, SplitLayout = "streams" };
        var splits = CorpusSplits.From(text, v, hp);

        Assert.Equal(80, TextBatches.StreamLength(splits.Train, 10));
        var (x, y) = TextBatches.FromStreams(splits.Train, 10, position: 72, steps: 8, CPU);
        using (x)
        using (y)
        {
            for (var b = 0; b < 10; b++)
            {
                Assert.Equal(text[100 * b + 72], x[b, 0].item<long>());
                Assert.Equal(text[100 * b + 80], y[b, 7].item<long>());  // never the next stream's first symbol
            }
        }
    }

    [Fact]
    public void From_NamesTheValidationFraction_WhenStreamsAreTooShortForIt()
    {
        var (text, v) = TestCorpus.Generate(1001);
        var hp = TestCorpus.SmallRun with { BatchSize = 100, SeqLength = 2, SplitLayout = "streams", TrainFraction = 0.95, ValFraction = 0.04, TestFraction = 0.01 };

        var error = Assert.Throws<ValidationException>(() => CorpusSplits.From(text, v, hp));

        Assert.Contains(error.Errors, e => e.Field == "corpus" && e.Message.Contains("hyperparameters.valFraction"));
    }

    [Fact]
    public void WindowStart_KeepsStatelessWindowsInsideOneStream_InTheStreamsLayout()
    {
        var (text, v) = TestCorpus.Generate(1001);
        var hp = TestCorpus.SmallRun with { BatchSize = 10, SeqLength = 8, SplitLayout = "streams", CarryState = false };
        var validation = CorpusSplits.From(text, v, hp).Validation;      // 10 segments of 11 symbols
        var random = SplitMix64.For(hp.Seed, epoch: 1);

        var starts = Enumerable.Range(0, 2000).Select(_ => Trainer.WindowStart(validation, 8, ref random)).ToList();

        Assert.All(starts, s => Assert.InRange(s % 11, 0, 11 - 8 - 1)); // 8 inputs and a target, all in the segment
        Assert.Equal(10, starts.Select(s => s / 11).Distinct().Count());
    }
}
