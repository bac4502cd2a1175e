using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

/// <summary>Section 4.2's per-character probabilities come from the same pass as the test loss.</summary>
// Slow: trains a model for an epoch in each split layout before scoring the test split.
[Trait("Category", "Slow")]
public class CorrectProbabilitiesTests
{
    [Theory]
    [InlineData("streams")]
    [InlineData("contiguous")]
    public void CorrectProbabilities_MeanNegativeLogIsTheTestLoss_AtTheScoredPositions(string layout)
    {
        var hp = TestCorpus.SmallRun with { SplitLayout = layout, MaxEpochs = 1 };
        var splits = TestCorpus.Splits(hp, 6000);
        var cell = new CellSpec(ModelType.Gru, 1, 16, hp);
        using var trainer = new Trainer(cell, splits, CPU);
        trainer.RunEpoch(CancellationToken.None);
        var checkpoint = trainer.SaveCheckpoint();

        var probabilities = Evaluator.CorrectProbabilities(cell, splits.VocabularySize, checkpoint, splits.Test, CPU);
        var loss = Evaluator.Loss(cell, splits.VocabularySize, checkpoint, splits.Test, CPU);

        Assert.Equal(splits.Test.Length, probabilities.Length);
        var scored = probabilities.Where(p => !float.IsNaN(p)).ToList();
        Assert.All(scored, p => Assert.InRange(p, 0f, 1f));
        Assert.Equal(loss, scored.Average(p => -Math.Log(p)), 1e-4);
        // In the streams layout, every symbol but each stream piece's first is a target.
        if (layout == "streams") Assert.Equal(splits.Test.Length - splits.Test.Segments, scored.Count);
    }
}
