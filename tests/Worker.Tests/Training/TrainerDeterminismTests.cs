using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

[Trait("Category", "Slow")]
public class TrainerDeterminismTests
{
    private static List<(double Train, double Val, double GradNorm)> Train(CellSpec cell, CorpusSplits splits, int epochs)
    {
        using var trainer = new Trainer(cell, splits, CPU);
        return Enumerable.Range(0, epochs)
            .Select(_ => trainer.RunEpoch(CancellationToken.None))
            .Select(r => (r.TrainLoss, r.ValLoss, r.GradNorm))
            .ToList();
    }

    [Fact]
    public void RunEpoch_GivesBitIdenticalReports_WhenTheSameSpecAndSeedTrainTwice()
    {
        var hp = TestCorpus.SmallRun with { Dropout = 0.1 };
        var cell = new CellSpec(ModelType.Lstm, 1, 16, hp);
        var splits = TestCorpus.Splits(hp);

        var first = Train(cell, splits, 3);
        var second = Train(cell, splits, 3);

        Assert.Equal(first, second);
        Assert.NotEqual(first[0].Train, first[2].Train); // it did train
    }

    [Fact]
    public void RunEpoch_GivesDifferentReports_WhenOnlyTheSeedDiffers()
    {
        var hp = TestCorpus.SmallRun with { Dropout = 0.1 };
        var splits = TestCorpus.Splits(hp);

        var a = Train(new CellSpec(ModelType.Lstm, 1, 16, hp), splits, 1);
        var b = Train(new CellSpec(ModelType.Lstm, 1, 16, hp with { Seed = hp.Seed + 1 }), splits, 1);

        Assert.NotEqual(a, b);
    }
}
