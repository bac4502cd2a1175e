using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

[Trait("Category", "Slow")]
public class TrainerResumeTests
{
    [Theory]
    [InlineData(true, null)]
    [InlineData(true, 600L)]
    [InlineData(false, 600L)]
    public void RunEpoch_ContinuesExactly_WhenResumedFromTheLatestCheckpoint(bool carryState, long? epochChars)
    {
        // Dropout, RMSProp and a decay from epoch 2 make RNG state, optimizer state and the schedule matter.
        var hp = TestCorpus.SmallRun with
        {
            CarryState = carryState,
            EpochChars = epochChars,
            Dropout = 0.2,
            Optimizer = "rmsprop",
            LearningRate = 5e-3,
            LrDecayStart = 2,
            LrDecay = 0.5,
        };
        var cell = new CellSpec(ModelType.Lstm, 2, 16, hp);
        var splits = TestCorpus.Splits(hp);

        List<EpochReport> straight;
        using (var trainer = new Trainer(cell, splits, CPU))
        {
            straight = Enumerable.Range(0, 4).Select(_ => trainer.RunEpoch(CancellationToken.None)).ToList();
        }

        CheckpointData checkpoint;
        using (var trainer = new Trainer(cell, splits, CPU))
        {
            trainer.RunEpoch(CancellationToken.None);
            trainer.RunEpoch(CancellationToken.None);
            checkpoint = trainer.SaveCheckpoint();
        }
        // Something else draws from torch's generator in between, as another run in the same process would.
        using (rand(100)) { }

        using var resumed = new Trainer(cell, splits, CPU, checkpoint);
        Assert.Equal(2, resumed.Epoch);
        var continued = Enumerable.Range(0, 2).Select(_ => resumed.RunEpoch(CancellationToken.None)).ToList();

        for (var i = 0; i < 2; i++)
        {
            var (expected, actual) = (straight[i + 2], continued[i]);
            Assert.Equal(expected.Epoch, actual.Epoch);
            Assert.Equal(expected.TrainLoss, actual.TrainLoss);
            Assert.Equal(expected.ValLoss, actual.ValLoss);
            Assert.Equal(expected.LearningRate, actual.LearningRate);
            Assert.Equal(expected.GradNorm, actual.GradNorm);
        }
        Assert.Equal(hp.LearningRate * 0.5 * 0.5, straight[3].LearningRate, 12);
    }
}
