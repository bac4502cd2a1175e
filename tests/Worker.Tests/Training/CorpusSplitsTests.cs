using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;

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
}
