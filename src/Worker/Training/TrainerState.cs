using System.Text.Json;
using System.Text.Json.Serialization;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Training;

/// <summary>
/// Everything a checkpoint needs beside model and optimizer tensors to continue exactly; stored as JSON in
/// <see cref="CheckpointData.TrainerStateJson"/>. The carried hidden state is not stored: it is reset at every
/// epoch start (<see cref="HiddenStatePolicy"/>), and checkpoints are taken at epoch ends.
/// </summary>
// A checkpoint written by an older build may carry a field since removed: it still resumes.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
public sealed record TrainerState
{
    public const string ResetAtEpochStart = "reset-at-epoch-start";

    public required ModelType Model { get; init; }
    public required int Layers { get; init; }
    public required int Hidden { get; init; }
    public required int VocabularySize { get; init; }
    public required Hyperparameters Hyperparameters { get; init; }

    /// <summary>Epochs completed.</summary>
    public required int Epoch { get; init; }
    /// <summary>The learning rate for the next epoch, after decay.</summary>
    public required double LearningRate { get; init; }
    public required int BestEpoch { get; init; }
    public required double BestValLoss { get; init; }
    public required int EpochsWithoutImprovement { get; init; }
    /// <summary>The run's first batch loss, the divergence reference; null before the first batch.</summary>
    public required double? FirstBatchLoss { get; init; }
    /// <summary>Where the next epoch starts in every train stream (carried state with epochChars set), in characters.</summary>
    public required long StreamPosition { get; init; }
    public string HiddenStatePolicy { get; init; } = ResetAtEpochStart;
    /// <summary>torch's default CPU generator state (drives dropout), base64.</summary>
    public required string RngState { get; init; }
    /// <summary>
    /// The kernel each shape of the run's float32 LSTM trained and validated on, true for oneDNN (<see cref="TrainingKernel"/>),
    /// by shape ("training step, batch 128 x 70 steps, 2 threads"); null in checkpoints from before the choice (all ATen).
    /// </summary>
    public IReadOnlyDictionary<string, bool>? LstmKernels { get; init; }
    public required TrainingStop Stop { get; init; }
    public string? StopReason { get; init; }

    // The project's contract: it writes BestValLoss, +Infinity before the first validation, as "Infinity".
    private static JsonSerializerOptions Json => Shared.Json.JsonContract.Options;

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TrainerState FromJson(string json) =>
        JsonSerializer.Deserialize<TrainerState>(json, Json) ?? throw new InvalidDataException("empty trainer state");
}
