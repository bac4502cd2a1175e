namespace RnnSweep.Shared.Schema;

/// <summary>
/// Model and optimizer state of a run, one per <see cref="Domain.CheckpointKind"/>.
/// <see cref="TrainerState"/> carries the hyperparameters, schedule, RNG and data position, so a checkpoint alone resumes.
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
