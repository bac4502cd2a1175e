using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// One step of a trained model for sampling: B symbols in, B rows of logits out, the state carried, dropout off.
/// Why its own kernel rather than <see cref="GateExtractor"/>: a sampling step at batch 1 must cost little more than
/// reading the weights once (memory bandwidth is its ceiling, docs/benchmarks.md), so it does the fewest libtorch
/// calls: the first layer's input projection is a row lookup in a precomputed (V, G H) table, and an LSTM or RNN
/// upper layer is one matrix product over [x, h] with [W_ih, W_hh] side by side. The same equations as the fused
/// module (PyTorch's gate order; checked against it by the sampler tests).
/// With <see cref="ScalarType.BFloat16"/> weights the recurrent and head matrices are held as bfloat16 copies (half
/// the bytes per step); inputs are rounded to bfloat16 for the product and everything else stays float32.
/// </summary>
internal sealed class SamplingStep : IDisposable
{
    private readonly ModelType _model;
    private readonly int _hidden;
    private readonly ScalarType _weights;
    private readonly Tensor _inputTable;                  // (V, G H): layer 0's W_ih x + b_ih (+ b_hh for LSTM/RNN), float32
    private readonly Tensor _firstHh;                     // (G H, H)
    private readonly Tensor? _firstHhBias;                // GRU: b_hh of layer 0 (G H)
    private readonly List<(Tensor Weight, Tensor Bias, Tensor? Hh, Tensor? HhBias)> _upper = [];
    private readonly Tensor _head;                        // (V, H)
    private readonly Tensor _headBias;                    // (V)
    private readonly Tensor? _ifo;                        // LSTM: the columns of i, f and o in the gates (3 H)

    public SamplingStep(CharRnn model, ScalarType weights = ScalarType.Float32)
    {
        if (weights is not (ScalarType.Float32 or ScalarType.BFloat16)) throw new ArgumentException($"weights are float32 or bfloat16, not {weights}", nameof(weights));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = RecurrentWeights.Of(model);
        var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach());
        (_model, _hidden, _weights) = (w.Model, w.Hidden, weights);
        var fold = _model != ModelType.Gru;                 // GRU keeps b_hn inside r * (W_hn h + b_hn)
        var first = w.Layers[0];
        var inputs = w.Embedding ?? eye(w.VocabularySize, dtype: ScalarType.Float32, device: first.WeightIh.device); // (V, In)
        _inputTable = inputs.matmul(first.WeightIh.t()) + first.BiasIh + (fold ? first.BiasHh : zeros_like(first.BiasHh)); // (V, G H)
        _firstHh = Copy(first.WeightHh);
        _firstHhBias = fold ? null : first.BiasHh.clone();
        foreach (var layer in w.Layers.Skip(1))
        {
            _upper.Add(fold
                ? (Copy(cat([layer.WeightIh, layer.WeightHh], 1)), (layer.BiasIh + layer.BiasHh), null, null)       // (G H, 2 H)
                : (Copy(layer.WeightIh), layer.BiasIh.clone(), Copy(layer.WeightHh), layer.BiasHh.clone()));
        }
        _head = Copy(named["head.weight"]);
        _headBias = named["head.bias"].clone();
        if (_model == ModelType.Lstm)
        {
            var n = _hidden;
            _ifo = tensor(Enumerable.Range(0, 2 * n).Concat(Enumerable.Range(3 * n, n)).Select(i => (long)i).ToArray(), device: first.WeightIh.device);
        }
        foreach (var t in Owned()) t.DetachFromDisposeScope();       // kept by this object; the scope frees the temporaries
    }

    private IEnumerable<Tensor> Owned() => new[] { _inputTable, _firstHh, _head, _headBias, _firstHhBias, _ifo }
        .Concat(_upper.SelectMany(u => new[] { u.Weight, u.Bias, u.Hh, u.HhBias })).OfType<Tensor>();

    /// <summary>The matrices one step reads whole (first layer's W_hh, each upper layer's, the head), in the step's format.</summary>
    public IEnumerable<Tensor> Weights => new[] { _firstHh }.Concat(_upper.SelectMany(u => new[] { u.Weight, u.Hh }.OfType<Tensor>())).Append(_head);

    public ScalarType WeightType => _weights;

    private Tensor Copy(Tensor t) => t.to_type(_weights).contiguous();

    /// <summary>x (B, K) float32 times weight (N, K) transposed, in the weights' precision; (B, N) float32.</summary>
    private Tensor Product(Tensor x, Tensor weight) =>
        _weights == ScalarType.Float32 ? x.matmul(weight.t()) : x.to_type(_weights).matmul(weight.t()).to_type(ScalarType.Float32);

    /// <summary>Feeds one symbol per row. <paramref name="state"/> is disposed; the new one is returned.</summary>
    /// <param name="symbols">(B) symbol indices, int64.</param>
    /// <returns>Logits (B, V) float32 and the state after the step (h, and c for an LSTM: (L, B, H)).</returns>
    public (Tensor Logits, RecurrentState State) Step(Tensor symbols, RecurrentState state)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var hs = new List<Tensor>();
        var cs = new List<Tensor>();
        Tensor x = null!;
        for (var l = 0; l <= _upper.Count; l++)
        {
            var h = state.H[l];                                                     // (B, H)
            var c = state.C?[l];
            Tensor gates, hNew;
            if (l == 0)
            {
                var input = _inputTable.index_select(0, symbols);                   // (B, G H)
                if (_model == ModelType.Gru) (hNew, c) = (Gru(input, Product(h, _firstHh) + _firstHhBias!, h), null);
                else
                {
                    gates = input + Product(h, _firstHh);
                    (hNew, c) = Cell(gates, c);
                }
            }
            else
            {
                var (weight, bias, hh, hhBias) = _upper[l - 1];
                if (_model == ModelType.Gru) (hNew, c) = (Gru(Product(x, weight) + bias, Product(h, hh!) + hhBias!, h), null);
                else
                {
                    gates = Product(cat([x, h], 1), weight) + bias;
                    (hNew, c) = Cell(gates, c);
                }
            }
            hs.Add(hNew);
            if (c is not null) cs.Add(c);
            x = hNew;
        }
        var logits = Product(x, _head) + _headBias;                                  // (B, V)
        var next = new RecurrentState(stack(hs), cs.Count > 0 ? stack(cs) : null);
        state.Dispose();
        return (logits.MoveToOuterDisposeScope(), next.DetachToOuterScope());
    }

    /// <summary>LSTM (i, f, g, o) or RNN (tanh) from pre-activations (B, G H).</summary>
    private (Tensor H, Tensor? C) Cell(Tensor gates, Tensor? c)
    {
        if (_model == ModelType.Rnn) return (gates.tanh(), null);
        var h = _hidden;
        var ifo = gates.index_select(1, _ifo!).sigmoid();        // (B, 3 H): i, f, o
        var g = gates[.., (2 * h)..(3 * h)].tanh();
        var cNew = ifo[.., h..(2 * h)] * c! + ifo[.., ..h] * g;
        return (ifo[.., (2 * h)..] * cNew.tanh(), cNew);
    }

    /// <summary>GRU (r, z, n): n = tanh(gi_n + r (gh_n)), h' = (1 - z) n + z h, from gi = W_ih x + b_ih and gh = W_hh h + b_hh.</summary>
    private Tensor Gru(Tensor gi, Tensor gh, Tensor h)
    {
        var n = _hidden;
        var rz = (gi[.., ..(2 * n)] + gh[.., ..(2 * n)]).sigmoid();
        var candidate = (gi[.., (2 * n)..] + rz[.., ..n] * gh[.., (2 * n)..]).tanh();
        var z = rz[.., n..];
        return candidate + z * (h - candidate);
    }

    public void Dispose()
    {
        foreach (var t in Owned()) t.Dispose();
    }
}
