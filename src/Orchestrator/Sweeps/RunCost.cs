using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>
/// A run's estimated cost before it starts: parameters x characters per epoch x epoch cap. Training time on one
/// device is close to proportional to it (a forward and backward pass touch every weight once per character);
/// <see cref="SweepEstimate"/> turns it into seconds with the throughput measured per queue.
/// </summary>
public static class RunCost
{
    /// <param name="bytes">The corpus size in bytes (the symbols of a <c>bytes</c> vocabulary).</param>
    /// <param name="characters">The corpus size in code points (the symbols of a <c>chars</c> vocabulary).</param>
    public static double Estimate(ModelType model, int layers, int hidden, int vocabularySize, Hyperparameters hp, long bytes, long characters) =>
        (double)ModelSize.Parameters(model, layers, hidden, vocabularySize, hp.IsOneHot) * EpochCharacters(hp, bytes, characters) * hp.MaxEpochs;

    /// <summary>Characters trained per epoch: <c>epochChars</c>, else the train split.</summary>
    public static double EpochCharacters(Hyperparameters hp, long bytes, long characters) =>
        hp.EpochChars ?? Math.Floor((hp.Vocabulary == VocabularyKinds.Bytes ? bytes : characters) * hp.TrainFraction);
}
