using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

public class TrainerStopTests
{
    [Fact]
    public void RunEpoch_StopsAsDiverged_WhenTheLearningRateIsAbsurd()
    {
        var hp = TestCorpus.SmallRun with { Optimizer = "rmsprop", LearningRate = 10, GradClip = 0 };
        Assert.Empty(hp.Validate());
        using var trainer = new Trainer(new CellSpec(ModelType.Rnn, 1, 16, hp), TestCorpus.Splits(hp), CPU);

        for (var i = 0; i < 5 && trainer.Stop == TrainingStop.None; i++) trainer.RunEpoch(CancellationToken.None);

        Assert.Equal(TrainingStop.Diverged, trainer.Stop);
        Assert.Contains("epoch 1 batch", trainer.StopReason);
        Assert.Throws<InvalidOperationException>(() => trainer.RunEpoch(CancellationToken.None));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void RunEpoch_StopsEarly_WhenValidationLossCannotImproveByMinImprovement()
    {
        var hp = TestCorpus.SmallRun with { Patience = 2, MinImprovement = 100 };
        using var trainer = new Trainer(new CellSpec(ModelType.Gru, 1, 8, hp), TestCorpus.Splits(hp), CPU);

        var reports = new List<EpochReport>();
        while (trainer.Stop == TrainingStop.None) reports.Add(trainer.RunEpoch(CancellationToken.None));

        Assert.Equal(TrainingStop.EarlyStopped, trainer.Stop);
        Assert.Equal(3, reports.Count); // epoch 1 is the first best, then 2 epochs without improvement
        Assert.Equal([true, false, false], reports.Select(r => r.IsBest));
        Assert.Equal(1, trainer.BestEpoch);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void RunEpoch_StopsAtMaxEpochs_WhenStillImproving()
    {
        var hp = TestCorpus.SmallRun with { MaxEpochs = 2 };
        using var trainer = new Trainer(new CellSpec(ModelType.Lstm, 1, 8, hp), TestCorpus.Splits(hp), CPU);

        trainer.RunEpoch(CancellationToken.None);
        Assert.Equal(TrainingStop.None, trainer.Stop);
        trainer.RunEpoch(CancellationToken.None);

        Assert.Equal(TrainingStop.MaxEpochs, trainer.Stop);
    }

    [Fact]
    public void RunEpoch_ThrowsOperationCanceled_WhenTheTokenIsCancelled()
    {
        var hp = TestCorpus.SmallRun;
        using var trainer = new Trainer(new CellSpec(ModelType.Lstm, 1, 8, hp), TestCorpus.Splits(hp), CPU);

        Assert.Throws<OperationCanceledException>(() => trainer.RunEpoch(new CancellationToken(canceled: true)));
        Assert.Equal(0, trainer.Epoch);
    }
}
