using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

/// <summary>A checkpoint's state bytes are exactly what TorchSharp writes, in an array of exactly that size.</summary>
public sealed class StateBytesTests
{
    [Fact]
    public void ModelAndOptimizerState_AreTorchSharpsBytes_AndLoadBack()
    {
        var hp = TestCorpus.SmallRun with { Optimizer = "adam" };
        var cell = new CellSpec(ModelType.Lstm, 2, 16, hp);
        using var trainer = new Trainer(cell, TestCorpus.Splits(hp), CPU);
        trainer.RunEpoch(CancellationToken.None); // Adam's moment tensors exist only after a step
        var checkpoint = trainer.SaveCheckpoint();

        using var model = Trainer.CreateModel(cell, TestCorpus.Splits(hp).VocabularySize, CPU);
        Trainer.LoadModelState(model, checkpoint.ModelState);
        using var reference = new MemoryStream();
        using (var writer = new BinaryWriter(reference, System.Text.Encoding.UTF8, leaveOpen: true)) model.save(writer);
        Assert.Equal(reference.ToArray(), checkpoint.ModelState);
        Assert.True(checkpoint.OptimizerState.Length > 2 * 4 * ModelSize.Parameters(ModelType.Lstm, 2, 16, TestCorpus.Splits(hp).VocabularySize),
            $"Adam's state ({checkpoint.OptimizerState.Length} bytes) holds two moments per parameter");

        using var resumed = new Trainer(cell, TestCorpus.Splits(hp), CPU, checkpoint);
        Assert.Equal(checkpoint.OptimizerState, resumed.SaveCheckpoint().OptimizerState);
    }

    [Fact]
    public void ACheckpointSavedIntoAnEarlierOnesArrays_HoldsWhatAFreshSaveHolds()
    {
        var hp = TestCorpus.SmallRun with { Optimizer = "adam" };
        var cell = new CellSpec(ModelType.Lstm, 2, 16, hp);
        using var trainer = new Trainer(cell, TestCorpus.Splits(hp), CPU);
        trainer.RunEpoch(CancellationToken.None);
        var earlier = trainer.SaveCheckpoint();
        var (earlierModel, earlierOptimizer) = (earlier.ModelState.ToArray(), earlier.OptimizerState.ToArray());
        trainer.RunEpoch(CancellationToken.None);

        var fresh = trainer.SaveCheckpoint();
        var reused = trainer.SaveCheckpoint(reuse: earlier);

        Assert.Same(earlier.ModelState, reused.ModelState);
        Assert.Same(earlier.OptimizerState, reused.OptimizerState);
        Assert.NotEqual(earlierModel, reused.ModelState);                  // overwritten: another epoch's weights
        Assert.NotEqual(earlierOptimizer, reused.OptimizerState);
        Assert.Equal(fresh.ModelState, reused.ModelState);
        Assert.Equal(fresh.OptimizerState, reused.OptimizerState);
        Assert.Equal(fresh.TrainerStateJson, reused.TrainerStateJson);

        // Arrays of another size (another model's) are left alone.
        var other = new CheckpointData(1, 2, new byte[7], new byte[9], "{}");
        var sized = trainer.SaveCheckpoint(reuse: other);
        Assert.NotSame(other.ModelState, sized.ModelState);
        Assert.Equal(new byte[7], other.ModelState);
        Assert.Equal(fresh.ModelState, sized.ModelState);
    }

    [Fact]
    public void AStateThatChangesBetweenItsTwoPasses_IsAnError_NotATruncatedArray()
    {
        var calls = 0;
        var grew = Assert.Throws<InvalidOperationException>(() => StateBytes.Of(w => w.Write(new byte[++calls * 10])));
        Assert.Contains("grew", grew.Message, StringComparison.Ordinal);
        calls = 3;
        var shrank = Assert.Throws<InvalidOperationException>(() => StateBytes.Of(w => w.Write(new byte[--calls * 10])));
        Assert.Contains("shrank", shrank.Message, StringComparison.Ordinal);
        Assert.Equal(new byte[] { 1, 2, 3 }, StateBytes.Of(w => w.Write(new byte[] { 1, 2, 3 })));
    }
}
