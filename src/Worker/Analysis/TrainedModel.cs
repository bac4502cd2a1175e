using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Analysis;

/// <summary>Rebuilds a model from a checkpoint for analysis, as <see cref="Evaluator"/> does for scoring.</summary>
public static class TrainedModel
{
    /// <summary>
    /// The checkpoint's model in eval mode (dropout off). The caller owns (disposes) it.
    /// Note: constructing the module draws throw-away initial weights from torch's global generator.
    /// </summary>
    public static CharRnn Load(CellSpec cell, int vocabularySize, CheckpointData checkpoint, Device device)
    {
        var model = Trainer.CreateModel(cell, vocabularySize, device);
        Trainer.LoadModelState(model, checkpoint.ModelState);
        model.eval();
        return model;
    }
}
