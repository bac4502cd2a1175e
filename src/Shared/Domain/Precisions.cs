namespace RnnSweep.Shared.Domain;

/// <summary>The number format of the training step (<c>hyperparameters.precision</c>); checkpoints, the run's final losses, sampling and analysis are float32 either way (bfloat16 runs validate each epoch on their bfloat16 copy).</summary>
public static class Precisions
{
    /// <summary>Weights, activations, gradients and optimizer state in float32 (the default).</summary>
    public const string Float32 = "float32";
    /// <summary>
    /// Mixed precision: float32 master weights and optimizer state; each training step runs forward and backward on a
    /// bfloat16 copy of the weights (libtorch's oneDNN kernels, AVX512-BF16 where the CPU has it) and steps the master
    /// weights with the gradients widened to float32.
    /// </summary>
    public const string BFloat16 = "bfloat16";

    public static readonly IReadOnlyList<string> All = [Float32, BFloat16];
}
