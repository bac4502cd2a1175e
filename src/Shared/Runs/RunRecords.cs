namespace RnnSweep.Shared.Runs;

/// <summary>
/// A run to create: model name, layers, the grid row's size and the hidden size trained; with a sweep's extra axes,
/// also its own hyperparameters (JSON), seed, epoch cap and axis values (JSON object), and its estimated cost
/// (parameters x characters per epoch x epochs). Null fields take the sweep's values.
/// </summary>
public sealed record NewRun(string Model, int Layers, int Size, int Hidden, string? Hyperparameters = null, long? Seed = null,
    string Axes = "{}", double? EstimatedCost = null, int? MaxEpochs = null);

/// <summary>A checkpoint as stored: epoch, validation loss (nats/char), torch state bytes and the trainer state as JSON.</summary>
public sealed record StoredCheckpoint(int Epoch, double ValLoss, byte[] ModelState, byte[] OptimizerState, string TrainerStateJson);

/// <summary>
/// One finished epoch to commit: its metrics row (losses in nats/char, seconds, characters per second), the run's
/// progress, and its latest checkpoint (copied to the best one when <see cref="IsBest"/>).
/// </summary>
public sealed record EpochCommit(int Epoch, double TrainLoss, double ValLoss, double ValAccuracy, double LearningRate, double GradNorm,
    double CharsPerSecond, double Seconds, long ParameterCount, int BestEpoch, bool IsBest, StoredCheckpoint Latest);

/// <summary>How a run ended: a final <see cref="Domain.RunStatus"/>, the best checkpoint's losses, a <see cref="Domain.StopKind"/> and prose.</summary>
public sealed record RunOutcome(string Status, double? TrainLoss, double? ValLoss, double? TestLoss, string? StopKind, string? StopReason, string? Error);

/// <summary>A queued or running run with no way forward: no live Hangfire job, or a lapsed lease and no job waiting.</summary>
public sealed record StrandedRun(long RunId, long SweepId, string Queue, string? JobId, string Status);

/// <summary>Who holds a run now: its status, lease owner (null when none) and the Hangfire job attached.</summary>
public sealed record RunHolder(string Status, string? LeaseOwner, string? JobId);
