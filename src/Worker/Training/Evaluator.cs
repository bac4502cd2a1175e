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

    /// <summary>
    /// Per position of <paramref name="split"/>, the probability the checkpoint gives the symbol there (NaN where no
    /// target is scored: each stream's first symbol, a contiguous split's tail), from the same pass as the loss.
    /// </summary>
    public static float[] CorrectProbabilities(CellSpec cell, int vocabularySize, CheckpointData checkpoint, EncodedText split, Device device)
    {
        using var model = Trainer.CreateModel(cell, vocabularySize, device);
        Trainer.LoadModelState(model, checkpoint.ModelState);
        var hp = cell.Hyperparameters;
        var probabilities = new float[split.Length];
        Array.Fill(probabilities, float.NaN);
        EvaluationPass.Run(model, split, hp.BatchSize, hp.SeqLength, device, probabilities);
        return probabilities;
    }

    /// <summary>The three losses a run reports, from one load of the checkpoint.</summary>
    public static (double Train, double Validation, double Test) Losses(CellSpec cell, CorpusSplits splits, CheckpointData checkpoint, Device device)
    {
        using var model = Trainer.CreateModel(cell, splits.VocabularySize, device);
        Trainer.LoadModelState(model, checkpoint.ModelState);
        var hp = cell.Hyperparameters;
        double Loss(EncodedText split) => EvaluationPass.Run(model, split, hp.BatchSize, hp.SeqLength, device).Loss;
        return (Loss(splits.Train), Loss(splits.Validation), Loss(splits.Test));
    }
}
