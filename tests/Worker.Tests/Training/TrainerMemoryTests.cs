using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

[Trait("Category", "Slow")]
public class TrainerMemoryTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RunEpoch_LeavesNoLiveTensorsBehind_WhenRunRepeatedly(bool carryState)
    {
        var hp = TestCorpus.SmallRun with { CarryState = carryState, Dropout = 0.1 };
        using var trainer = new Trainer(new CellSpec(ModelType.Lstm, 2, 8, hp), TestCorpus.Splits(hp), CPU);
        trainer.RunEpoch(CancellationToken.None);
        var live = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

        for (var i = 0; i < 3; i++) trainer.RunEpoch(CancellationToken.None);

        // Each epoch runs dozens of batches: one leaked tensor per batch would show here.
        Assert.Equal(live, DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
    }
}
