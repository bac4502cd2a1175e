namespace RnnSweep.Shared.Domain;

/// <summary>How a model's weights are initialised (<c>hyperparameters.init</c>).</summary>
public static class WeightInits
{
    /// <summary>Each PyTorch module's default.</summary>
    public const string PyTorch = "pytorch";
    /// <summary>char-rnn's: every parameter uniform(-initRange, initRange), the LSTM's input-to-hidden forget biases 1.</summary>
    public const string Uniform = "uniform";

    public static readonly IReadOnlyList<string> All = [PyTorch, Uniform];
}
