using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// Every layer's recomputed quantities over B streams x T steps: <c>this[layer, gate]</c> is (B, T, H), layers
/// counted from 0 (PyTorch's <c>l0</c>). <see cref="Final"/> is the state after the last step, (L, B, H), to carry
/// into the next chunk. Owns its tensors.
/// </summary>
public sealed class GateTrace(ModelType model, IReadOnlyList<IReadOnlyDictionary<Gate, Tensor>> layers, RecurrentState final) : IDisposable
{
    public ModelType Model { get; } = model;
    public IReadOnlyList<IReadOnlyDictionary<Gate, Tensor>> Layers { get; } = layers;
    public RecurrentState Final { get; } = final;

    public Tensor this[int layer, Gate gate] => Layers[layer].TryGetValue(gate, out var t)
        ? t : throw new ArgumentException($"{Model.Name()} has no {gate.Name()} quantity", nameof(gate));

    /// <summary>The last layer's h, (B, T, H): what the fused module returns as its output.</summary>
    public Tensor Output => this[Layers.Count - 1, Gate.Hidden];

    /// <summary>What the paper visualises per layer, (B, T, H): tanh(c) for the LSTM, h for the GRU and RNN.</summary>
    public Tensor CellView(int layer) => Model == ModelType.Lstm ? this[layer, Gate.Cell].tanh() : this[layer, Gate.Hidden];

    /// <summary>Hands every tensor to the enclosing dispose scope's parent (the caller of the scope that made it).</summary>
    internal GateTrace MoveToOuter()
    {
        foreach (var tensor in Layers.SelectMany(l => l.Values)) tensor.MoveToOuterDisposeScope();
        Final.H.MoveToOuterDisposeScope();
        Final.C?.MoveToOuterDisposeScope();
        return this;
    }

    public void Dispose()
    {
        foreach (var tensor in Layers.SelectMany(l => l.Values)) tensor.Dispose();
        Final.Dispose();
    }
}
