namespace RnnSweep.Worker.Training;

/// <summary>
/// A checkpoint at an epoch boundary: <see cref="ModelState"/> from <c>Module.save</c>,
/// <see cref="OptimizerState"/> from the optimizer's <c>save_state_dict</c> (empty when absent), and
/// <see cref="TrainerStateJson"/>, a <see cref="TrainerState"/> that holds everything else needed to
/// continue exactly (hyperparameters, learning rate, RNG state, data position, early-stopping state).
/// </summary>
public sealed record CheckpointData(int Epoch, double ValLoss, byte[] ModelState, byte[] OptimizerState, string TrainerStateJson);
