namespace RnnSweep.Worker.Training;

/// <summary>
/// One epoch's metrics, one <c>epoch_metrics</c> row. Losses in nats per character.
/// <see cref="LearningRate"/> is the rate used during the epoch (decay applies after it);
/// <see cref="GradNorm"/> the mean total gradient norm before clipping.
/// After divergence the epoch is cut short: <see cref="ValLoss"/> and <see cref="ValAccuracy"/> are NaN.
/// </summary>
public sealed record EpochReport(
    int Epoch,
    double TrainLoss,
    double ValLoss,
    double ValAccuracy,
    double LearningRate,
    double GradNorm,
    double CharsPerSecond,
    double Seconds,
    bool IsBest);
