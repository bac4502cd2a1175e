using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// A per-unit quantity of a recurrent layer, recomputed by <see cref="GateExtractor"/>.
/// LSTM: input, forget, output gates (sigmoid), candidate g (tanh), cell c, hidden h.
/// GRU: reset r, update z (sigmoid; PyTorch's z, whose saturation is reported as the paper's 1 - z, see
/// <see cref="Saturation"/>), candidate n (tanh), hidden h. RNN: hidden h.
/// </summary>
public enum Gate
{
    Input,
    Forget,
    Output,
    Candidate,
    Cell,
    Hidden,
    Reset,
    Update,
}

public static class GateNames
{
    /// <summary>Lowercase, as in JSON, SQL and the dashboard.</summary>
    public static string Name(this Gate gate) => gate switch
    {
        Gate.Input => "input",
        Gate.Forget => "forget",
        Gate.Output => "output",
        Gate.Candidate => "candidate",
        Gate.Cell => "cell",
        Gate.Hidden => "hidden",
        Gate.Reset => "reset",
        Gate.Update => "update",
        _ => throw new ArgumentOutOfRangeException(nameof(gate), gate, null),
    };

    /// <summary>Sigmoid gates, the only quantities whose saturation the paper plots (range (0, 1)).</summary>
    public static bool IsSigmoid(this Gate gate) => gate is Gate.Input or Gate.Forget or Gate.Output or Gate.Reset or Gate.Update;

    /// <summary>The quantities <see cref="GateExtractor"/> returns per layer for a cell type, in PyTorch's gate order.</summary>
    public static IReadOnlyList<Gate> Of(ModelType model) => model switch
    {
        ModelType.Lstm => [Gate.Input, Gate.Forget, Gate.Candidate, Gate.Output, Gate.Cell, Gate.Hidden],
        ModelType.Gru => [Gate.Reset, Gate.Update, Gate.Candidate, Gate.Hidden],
        ModelType.Rnn => [Gate.Hidden],
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, null),
    };

    /// <summary>The sigmoid gates of a cell type: LSTM i, f, o; GRU r, z; none for the RNN.</summary>
    public static IReadOnlyList<Gate> SigmoidGatesOf(ModelType model) => Of(model).Where(IsSigmoid).ToArray();
}
