namespace RnnSweep.Shared.Schema;

/// <summary>
/// Model state of a run, one per <see cref="Domain.CheckpointKind"/>. The latest also holds the optimizer state, and its
/// <see cref="TrainerState"/> the hyperparameters, schedule, RNG and data position, so it alone resumes the run; the
/// best holds an empty <see cref="OptimizerState"/> (it is evaluated, analysed, sampled and exported, never resumed).
/// </summary>
public sealed class Checkpoint
{
    public long RunId { get; set; }
    /// <summary>One of <see cref="Domain.CheckpointKind"/>.</summary>
    public required string Kind { get; set; }
    public int Epoch { get; set; }
    public double ValLoss { get; set; }
    public required byte[] ModelState { get; set; }
    public required byte[] OptimizerState { get; set; }
    /// <summary>jsonb.</summary>
    public required string TrainerState { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
