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
/// layer is one matrix product over [x, h] with [W_ih, W_hh] side by side, and the whole step is one TorchScript
/// call. One float32 sample on the CPU runs on <see cref="SingleSampleStep"/> (<see cref="ForOneSample"/>) instead.
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
    private readonly Tensor _none = empty(0);             // for the script's arguments a model kind does not use

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

    private IEnumerable<Tensor> Owned() => new[] { _inputTable, _firstHh, _head, _headBias, _firstHhBias, _none }
        .Concat(_upperWeights).Concat(_upperBiases).Concat(_upperHh).Concat(_upperHhBiases).OfType<Tensor>();

    /// <summary>The matrices one step reads whole (first layer's W_hh, each upper layer's, the head), in the step's format.</summary>
    public IEnumerable<Tensor> Weights => new[] { _firstHh }.Concat(_upperWeights).Concat(_upperHh).Append(_head);

    public ScalarType WeightType => _weights;

    /// <summary>
    /// The same step at batch 1 in managed memory (see <see cref="SingleSampleStep"/>), with copies of these weights.
    /// Throws <see cref="InvalidOperationException"/> for bfloat16 weights, which it does not hold.
    /// </summary>
    public SingleSampleStep ForOneSample()
    {
        if (_weights != ScalarType.Float32) throw new InvalidOperationException($"the batch-1 step holds float32 weights, not {_weights}");
        using var scope = NewDisposeScope();
        // why bytes: a typed accessor copies element by element (about 0.2 s for a 3x512 model); the bytes are one copy.
        static float[] Floats(Tensor t) => MemoryMarshal.Cast<byte, float>(t.cpu().contiguous().bytes).ToArray();
        // (rows, cols) -> PanelLayout: zero rows up to whole panels, then (panels, P, cols) -> (panels, cols, P).
        static float[] Panels(Tensor t)
        {
            var (rows, cols, width) = (t.shape[0], t.shape[1], (long)System.Numerics.Vector<float>.Count);
            var padded = PanelLayout.Panels((int)rows) * width;
            var whole = padded == rows ? t : cat([t, zeros(padded - rows, cols, dtype: t.dtype, device: t.device)]);
            return Floats(whole.reshape(padded / width, width, cols).permute(0, 2, 1));
        }
        return new SingleSampleStep(_model, _upperWeights.Length + 1, (int)_firstHh.shape[1], Floats(_inputTable), Panels(_firstHh),
            _firstHhBias is null ? null : Floats(_firstHhBias), _upperWeights.Select(Panels).ToArray(), _upperBiases.Select(Floats).ToArray(),
            _upperHh.Select(Panels).ToArray(), _upperHhBiases.Select(Floats).ToArray(), Panels(_head), Floats(_headBias));
    }

    private Tensor Copy(Tensor t) => t.to_type(_weights).contiguous();

    /// <summary>Feeds one symbol per row. <paramref name="state"/> is disposed; the new one is returned.</summary>
    /// <param name="symbols">(B) symbol indices, int64.</param>
    /// <returns>Logits (B, V) float32 and the state after the step (h, and c for an LSTM: (L, B, H)).</returns>
    public (Tensor Logits, RecurrentState State) Step(Tensor symbols, RecurrentState state)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (logits, h, c) = StepScript.Value.invoke<(Tensor, Tensor, Tensor)>("step", (int)_model, symbols, state.H, state.C ?? _none,
            _inputTable, _firstHh, _firstHhBias ?? _none, _upperWeights, _upperBiases, _upperHh, _upperHhBiases, _head, _headBias);
        var next = new RecurrentState(h, _model == ModelType.Lstm ? c : null);
        if (_model != ModelType.Lstm) c.Dispose();
        state.Dispose();
        return (logits.MoveToOuterDisposeScope(), next.DetachToOuterScope());
    }

    /// <summary>
    /// The step as one TorchScript function. Why TorchScript: at batch 1 a 3x512 step reads 21 MB of weights in about
    /// 0.9 ms, and the step called op by op from .NET took about a quarter longer than that (docs/benchmarks.md); its
    /// ~40 small operations each cost an interop call, a managed tensor and its disposal, which the TorchScript
    /// interpreter avoids by running them inside libtorch behind one call. Products go through <c>mm</c> in the
    /// weights' format: for float32 weights the conversions are no-ops, for bfloat16 the input is rounded and the
    /// product read back as float32.
    /// Model kinds: 0 LSTM (gate order i, f, g, o), 1 GRU (r, z, n; b_hn inside r), 2 tanh RNN.
    /// </summary>
    private static readonly Lazy<jit.CompilationUnit> StepScript = new(() => jit.compile("""
        def mm(x: Tensor, w: Tensor) -> Tensor:
            return torch.mm(x.to(w.dtype), w.t()).float()

        def step(kind: int, symbols: Tensor, h: Tensor, c: Tensor, table: Tensor, first_hh: Tensor, first_hh_bias: Tensor,
                 weights: List[Tensor], biases: List[Tensor], hh: List[Tensor], hh_biases: List[Tensor],
                 head: Tensor, head_bias: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
            n = h.size(2)
            hs: List[Tensor] = []
            cs: List[Tensor] = []
            x = table.index_select(0, symbols)
            for l in range(h.size(0)):
                hl = h[l]
                if kind == 1:
                    if l == 0:
                        gi = x
                        gh = mm(hl, first_hh) + first_hh_bias
                    else:
                        gi = mm(x, weights[l - 1]) + biases[l - 1]
                        gh = mm(hl, hh[l - 1]) + hh_biases[l - 1]
                    rz = torch.sigmoid(gi[:, :2 * n] + gh[:, :2 * n])
                    candidate = torch.tanh(gi[:, 2 * n:] + rz[:, :n] * gh[:, 2 * n:])
                    x = candidate + rz[:, n:] * (hl - candidate)
                else:
                    if l == 0:
                        gates = x + mm(hl, first_hh)
                    else:
                        gates = mm(torch.cat([x, hl], 1), weights[l - 1]) + biases[l - 1]
                    if kind == 0:
                        i_f = torch.sigmoid(gates[:, :2 * n])
                        cl = torch.addcmul(i_f[:, n:] * c[l], i_f[:, :n], torch.tanh(gates[:, 2 * n:3 * n]))
                        x = torch.sigmoid(gates[:, 3 * n:]) * torch.tanh(cl)
                        cs.append(cl)
                    else:
                        x = torch.tanh(gates)
                hs.append(x)
            logits = mm(x, head) + head_bias
            if len(cs) > 0:
                return logits, torch.stack(hs), torch.stack(cs)
            return logits, torch.stack(hs), torch.empty(0)
        """ + "\n"));                                    // the script parser wants its last line ended

    public void Dispose()
    {
        foreach (var t in Owned()) t.Dispose();
    }
}
