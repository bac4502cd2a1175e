using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

public class TrainerLearningTests
{
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("onehot")]
    [InlineData("embedding")]
    public void BestValLoss_FallsWellBelowTheUnigramBaseline_WhenTrainedOnARepetitiveCorpus(string input)
    {
        var hp = TestCorpus.SmallRun with { Input = input, MaxEpochs = 8 };
        var splits = TestCorpus.Splits(hp);
        var cell = new CellSpec(ModelType.Lstm, 1, 32, hp);
        using var trainer = new Trainer(cell, splits, CPU);

        CheckpointData? best = null;
        while (trainer.Stop == TrainingStop.None)
        {
            if (trainer.RunEpoch(CancellationToken.None).IsBest) best = trainer.SaveCheckpoint();
        }

        var baseline = Baselines.UnigramEntropy(splits.Train, splits.Validation, splits.VocabularySize);
        Assert.True(trainer.BestValLoss < 0.7 * baseline, $"best val loss {trainer.BestValLoss} vs unigram {baseline}");

        Assert.NotNull(best);
        Assert.Equal(trainer.BestEpoch, best.Epoch);
        var evaluated = Evaluator.Loss(cell, splits.VocabularySize, best, splits.Validation, CPU);
        Assert.Equal(trainer.BestValLoss, evaluated, 1e-4);
    }

    [Fact]
    public void UnigramEntropy_IsTheLogOfTheVocabulary_WhenSymbolsAreUniform()
    {
        var text = new EncodedText(Enumerable.Range(0, 400).Select(i => (byte)(i % 4)).ToArray());

        var entropy = Baselines.UnigramEntropy(text, text, 4);

        Assert.Equal(Math.Log(4), entropy, 12);
    }
}
