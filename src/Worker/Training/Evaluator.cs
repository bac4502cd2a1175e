using RnnSweep.Shared.Domain;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Training;

/// <summary>Scores a checkpoint on any split (the best checkpoint on train, validation and test after training).</summary>
public static class Evaluator
{
    /// <summary>Full pass over <paramref name="split"/> with dropout off and carried state; nats per character.</summary>
    public static double Loss(CellSpec cell, int vocabularySize, CheckpointData checkpoint, EncodedText split, Device device)
    {
        using var model = Trainer.CreateModel(cell, vocabularySize, device);
        Trainer.LoadModelState(model, checkpoint.ModelState);
        var hp = cell.Hyperparameters;
        return EvaluationPass.Run(model, split, hp.BatchSize, hp.SeqLength, device).Loss;
    }
}
