using System.Runtime.InteropServices;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// One step of a trained model for sampling: B symbols in, B rows of logits out, the state carried, dropout off.
/// Why its own kernel rather than <see cref="GateExtractor"/>: a sampling step at batch 1 must cost little more than
/// reading the weights once (memory bandwidth is its ceiling, docs/benchmarks.md), so it does the fewest libtorch
/// calls: the first layer's input projection is a row lookup in a precomputed (V, G H) table, an LSTM or RNN upper
/// layer is one matrix product over [x, h] with [W_ih, W_hh] side by side. One float32 sample on the CPU runs on
/// <see cref="SingleSampleStep"/> (<see cref="ForOneSample"/>) instead.
/// The same equations as the fused module (PyTorch's gate order; checked against it by the sampler tests).
/// With <see cref="ScalarType.BFloat16"/> weights the recurrent and head matrices are held as bfloat16 copies (half
/// the bytes per step); inputs are rounded to bfloat16 for the product and everything else stays float32.
/// </summary>
internal sealed class SamplingStep : IDisposable
{
    private readonly ModelType _model;
    private readonly ScalarType _weights;
    private readonly Tensor _inputTable;                  // (V, G H): layer 0's W_ih x + b_ih (+ b_hh for LSTM/RNN), float32
    private readonly Tensor _firstHh;                     // (G H, H)
    private readonly Tensor? _firstHhBias;                // GRU: b_hh of layer 0 (G H)
    private readonly Tensor[] _upperWeights;              // per upper layer: [W_ih W_hh] (G H, 2 H), or W_ih for a GRU
    private readonly Tensor[] _upperBiases;               // b_ih + b_hh, or b_ih for a GRU (G H)
    private readonly Tensor[] _upperHh;                   // GRU: W_hh per upper layer; otherwise empty
    private readonly Tensor[] _upperHhBiases;             // GRU: b_hh per upper layer; otherwise empty
    private readonly Tensor _head;                        // (V, H)
    private readonly Tensor _headBias;                    // (V)

    public SamplingStep(CharRnn model, ScalarType weights = ScalarType.Float32)
    {
        if (weights is not (ScalarType.Float32 or ScalarType.BFloat16)) throw new ArgumentException($"weights are float32 or bfloat16, not {weights}", nameof(weights));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = RecurrentWeights.Of(model);
        var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach());
        (_model, _weights) = (w.Model, weights);
        var fold = _model != ModelType.Gru;                 // GRU keeps b_hn inside r * (W_hn h + b_hn)
        var first = w.Layers[0];
        var inputs = w.Embedding ?? eye(w.VocabularySize, dtype: ScalarType.Float32, device: first.WeightIh.device); // (V, In)
        _inputTable = inputs.matmul(first.WeightIh.t()) + first.BiasIh + (fold ? first.BiasHh : zeros_like(first.BiasHh)); // (V, G H)
        _firstHh = Copy(first.WeightHh);
        _firstHhBias = fold ? null : first.BiasHh.clone();
        var upper = w.Layers.Skip(1).ToArray();
        _upperWeights = upper.Select(l => Copy(fold ? cat([l.WeightIh, l.WeightHh], 1) : l.WeightIh)).ToArray();
        _upperBiases = upper.Select(l => fold ? l.BiasIh + l.BiasHh : l.BiasIh.clone()).ToArray();
        _upperHh = fold ? [] : upper.Select(l => Copy(l.WeightHh)).ToArray();
        _upperHhBiases = fold ? [] : upper.Select(l => l.BiasHh.clone()).ToArray();
        _head = Copy(named["head.weight"]);
        _headBias = named["head.bias"].clone();
        foreach (var t in Owned()) t.DetachFromDisposeScope();       // kept by this object; the scope frees the temporaries
    }

    private IEnumerable<Tensor> Owned() => new[] { _inputTable, _firstHh, _head, _headBias, _firstHhBias }
        .Concat(_upperWeights).Concat(_upperBiases).Concat(_upperHh).Concat(_upperHhBiases).OfType<Tensor>();

    /// <summary>The matrices one step reads whole (first layer's W_hh, each upper layer's, the head), in the step's format.</summary>
    public IEnumerable<Tensor> Weights => new[] { _firstHh }.Concat(_upperWeights).Concat(_upperHh).Append(_head);

    public ScalarType WeightType => _weights;

    /// <summary>
    /// The same step at batch 1 in managed memory (see <see cref="SingleSampleStep"/>), with copies of these weights.
    /// Throws <see cref="InvalidOperationException"/> for bfloat16 weights, which it does not hold.
    /// </summary>
    /// <param name="panelWidth">Rows per panel of the step's matrices (<see cref="PanelMatrix"/>); the processor's fastest
    /// when null. Tests give the other one, so both products are checked on a machine that has both.</param>
    public SingleSampleStep ForOneSample(int? panelWidth = null)
    {
        if (_weights != ScalarType.Float32) throw new InvalidOperationException($"the batch-1 step holds float32 weights, not {_weights}");
        using var scope = NewDisposeScope();
        // why bytes: a typed accessor copies element by element (about 0.2 s for a 3x512 model); the bytes are one copy.
        static float[] Floats(Tensor t) => MemoryMarshal.Cast<byte, float>(t.cpu().contiguous().bytes).ToArray();
        // (rows, cols) -> PanelMatrix: zero rows up to whole panels, then (panels, P, cols) -> (panels, cols, P).
        var width = panelWidth ?? PanelMatrix.PreferredWidth;
        PanelMatrix Panels(Tensor t)
        {
            var (rows, cols) = (t.shape[0], t.shape[1]);
            var padded = (long)PanelMatrix.Panels((int)rows, width) * width;
            var whole = padded == rows ? t : cat([t, zeros(padded - rows, cols, dtype: t.dtype, device: t.device)]);
            return new PanelMatrix(MemoryMarshal.Cast<byte, float>(whole.reshape(padded / width, width, cols).permute(0, 2, 1).cpu().contiguous().bytes), (int)rows, (int)cols, width);
        }
        return new SingleSampleStep(_model, _upperWeights.Length + 1, (int)_firstHh.shape[1], Floats(_inputTable), Panels(_firstHh),
            _firstHhBias is null ? null : Floats(_firstHhBias), _upperWeights.Select(Panels).ToArray(), _upperBiases.Select(Floats).ToArray(),
            _upperHh.Select(Panels).ToArray(), _upperHhBiases.Select(Floats).ToArray(), Panels(_head), Floats(_headBias));
    }

    private Tensor Copy(Tensor t) => t.to_type(_weights).contiguous();

    /// <summary>Feeds one symbol per row. <paramref name="state"/> is disposed; the new one is returned.</summary>
    /// <param name="symbols">(B) symbol indices, int64.</param>
    /// <returns>Logits (B, V) float32 and the state after the step (h, and c for an LSTM: (L, B, H)).</returns>
    /// <remarks>
    /// Op by op from .NET, not one TorchScript call: TorchScript's graph executor crashed the process (a string built
    /// from a null pointer in <c>Graph::copy</c>, then abort) when the Worker allocates with tcmalloc, as it does
    /// (docs/benchmarks.md, "Allocator"). The cost is an interop call and a managed tensor per operation, about 40 a
    /// step: at batch 1 on the CPU in float32 the managed <see cref="SingleSampleStep"/> runs instead.
    /// </remarks>
    public (Tensor Logits, RecurrentState State) Step(Tensor symbols, RecurrentState state)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var n = state.H.shape[2];
        var hs = new List<Tensor>();
        var cs = new List<Tensor>();
        var x = _inputTable.index_select(0, symbols);                                    // (B, G H)
        for (var l = 0; l < state.H.shape[0]; l++)
        {
            var h = state.H[l];                                                           // (B, H)
            if (_model == ModelType.Gru)
            {
                var (gi, gh) = l == 0
                    ? (x, Product(h, _firstHh) + _firstHhBias!)
                    : (Product(x, _upperWeights[l - 1]) + _upperBiases[l - 1], Product(h, _upperHh[l - 1]) + _upperHhBiases[l - 1]);
                var rz = sigmoid(gi.narrow(1, 0, 2 * n) + gh.narrow(1, 0, 2 * n));         // r, z
                var candidate = tanh(gi.narrow(1, 2 * n, n) + rz.narrow(1, 0, n) * gh.narrow(1, 2 * n, n));
                x = candidate + rz.narrow(1, n, n) * (h - candidate);
            }
            else
            {
                var gates = l == 0 ? x + Product(h, _firstHh) : Product(cat([x, h], 1), _upperWeights[l - 1]) + _upperBiases[l - 1];
                if (_model == ModelType.Lstm)
                {
                    var inputForget = sigmoid(gates.narrow(1, 0, 2 * n));                 // i, f
                    var c = addcmul(inputForget.narrow(1, n, n) * state.C![l], inputForget.narrow(1, 0, n), tanh(gates.narrow(1, 2 * n, n)), 1);
                    x = sigmoid(gates.narrow(1, 3 * n, n)) * tanh(c);
                    cs.Add(c);
                }
                else
                {
                    x = tanh(gates);
                }
            }
            hs.Add(x);
        }
        var logits = Product(x, _head) + _headBias;
        var next = new RecurrentState(stack(hs), cs.Count > 0 ? stack(cs) : null);
        state.Dispose();
        return (logits.MoveToOuterDisposeScope(), next.DetachToOuterScope());
    }

    /// <summary>x W^T in the weights' format: no conversions for float32; for bfloat16 x is rounded and the product read back as float32.</summary>
    private static Tensor Product(Tensor x, Tensor w) => mm(x.to_type(w.dtype), w.t()).to_type(ScalarType.Float32);

    public void Dispose()
    {
        foreach (var t in Owned()) t.Dispose();
    }
}
