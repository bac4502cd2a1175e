using RnnSweep.Shared.Domain;

namespace RnnSweep.Shared.Runs;

/// <summary>What a run trains with, derived from what was submitted and from the run's columns, never stored back.</summary>
public static class RunHyperparameters
{
    /// <summary>
    /// The submitted hyperparameters with the run's epoch cap (<c>runs.max_epochs</c>, which resume may change) and,
    /// after <paramref name="divergenceRetries"/> restarts, the learning rate halved that many times.
    /// </summary>
    public static Hyperparameters Effective(Hyperparameters submitted, int maxEpochs, int divergenceRetries) => submitted with
    {
        MaxEpochs = maxEpochs,
        LearningRate = submitted.LearningRate / Math.Pow(2, divergenceRetries),
    };
}
