namespace RnnSweep.Shared.Schema;

/// <summary>One grid cell of a sweep, trained by one Hangfire job at a time (guarded by the lease).</summary>
public sealed class Run
{
    public long Id { get; set; }
    public long SweepId { get; set; }
    public Sweep? Sweep { get; set; }

    public required string Model { get; set; }
    public int Layers { get; set; }
    /// <summary>The hidden size trained (differs from <see cref="Size"/> only when the sweep matches parameter counts).</summary>
    public int Hidden { get; set; }
    /// <summary>The grid row: the hidden size asked for, or the LSTM hidden size whose parameter count this run matches.</summary>
    public int Size { get; set; }
    /// <summary>The validated <see cref="Domain.Hyperparameters"/> record as JSON (jsonb).</summary>
    public required string Hyperparameters { get; set; }
    public long Seed { get; set; }
    /// <summary>
    /// The values of the sweep's extra axes this run trains with, as a JSON object with keys in ordinal order
    /// (<c>{"dropout": 0.25}</c>; <c>{}</c> for a grid without axes); the seed is <see cref="Seed"/>. jsonb.
    /// </summary>
    public string Axes { get; set; } = "{}";
    /// <summary>
    /// Estimated cost: parameters x characters per epoch x epoch cap (dimensionless). Runs are dispatched in
    /// decreasing order of it, so the longest start first; null for runs stored before costs were estimated.
    /// </summary>
    public double? EstimatedCost { get; set; }
    /// <summary>The run's epoch cap: the submitted <c>maxEpochs</c> until <c>resume --max-epochs</c> changes it.</summary>
    public int MaxEpochs { get; set; }
    public long? ParameterCount { get; set; }

    /// <summary>One of <see cref="Domain.RunStatus"/>.</summary>
    public required string Status { get; set; }
    /// <summary>How many times a worker has taken the lease (1 for a run that was never interrupted).</summary>
    public int Attempt { get; set; }
    /// <summary>How many times training restarted at half the learning rate after diverging.</summary>
    public int DivergenceRetries { get; set; }
    /// <summary>The worker holding the run, and until when; a run is trained only under a live lease.</summary>
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }
    public string? JobId { get; set; }
    /// <summary>The worker that last trained the run (its lease owner), kept after the lease is released.</summary>
    public string? TrainedBy { get; set; }

    public int EpochsDone { get; set; }
    public int? BestEpoch { get; set; }
    /// <summary>Losses of the best checkpoint, in nats per character (full passes, dropout off).</summary>
    public double? TrainLoss { get; set; }
    public double? ValLoss { get; set; }
    public double? TestLoss { get; set; }
    /// <summary>Why training stopped, one of <see cref="Domain.StopKind"/>; null while training or when it failed.</summary>
    public string? StopKind { get; set; }
    /// <summary>Why training stopped, in words (the numbers behind <see cref="StopKind"/>).</summary>
    public string? StopReason { get; set; }
    public string? Error { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>When the analyses (samples, saturation, cells) were stored; null until then.</summary>
    public DateTimeOffset? AnalyzedAt { get; set; }

    public string Cell => $"{Model} {Layers}x{Hidden}";
}
