using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// <see cref="SamplingStep"/> at batch 1 with float32 weights, computed in managed memory: one symbol in, one row of
/// logits out, the state (h, and c for an LSTM, per layer) held here. Why its own code path: a batch-1 step is a chain
/// of matrix-vector products bound by the bandwidth of reading the weights once (21 MB at 3x512), and everything else
/// in it is a few thousand floats; through libtorch, each of its ~40 small operations costs an interop call and a
/// tensor (even inside one TorchScript call), which held the step to 0.68 of the rate its weights can be read at
/// (docs/benchmarks.md). Here each product reads its matrix once in aligned panels of outputs summed in registers
/// (<see cref="PanelMatrix"/>; 512-bit vectors where the processor has AVX-512, see
/// <see cref="Product{TLanes, TVector}"/>), and the gate
/// work is done in place on preallocated vectors, so a step allocates nothing.
/// The equations and weights are <see cref="SamplingStep"/>'s (PyTorch's gate order and bias placement); the sampler
/// tests check both against the fused module.
/// </summary>
internal sealed class SingleSampleStep
{
    private readonly ModelType _model;
    private readonly int _hidden;
    private readonly int _vocabularySize;
    private readonly int _gateRows;                     // G H
    private readonly float[] _inputTable;               // (V, G H)
    private readonly PanelMatrix _firstHh;              // W_hh (G H, H)
    private readonly float[]? _firstHhBias;             // GRU: (G H)
    private readonly PanelMatrix[] _upperWeights;       // per upper layer: [W_ih W_hh] (G H, 2 H), or W_ih for a GRU (G H, H)
    private readonly float[][] _upperBiases;            // (G H)
    private readonly PanelMatrix[] _upperHh;            // GRU: W_hh per upper layer (G H, H)
    private readonly float[][] _upperHhBiases;          // GRU: (G H)
    private readonly PanelMatrix _head;                 // head weight (V, H)
    private readonly float[] _headBias;                 // (V)

    private readonly float[][] _h;                      // per layer (H)
    private readonly float[][] _c;                      // LSTM: per layer (H)
    private readonly float[] _gates;                    // (G H)
    private readonly float[] _hiddenGates;              // GRU: W_hh h + b_hh (G H)
    private readonly float[] _input;                    // LSTM/RNN upper layers: [x, h] (2 H)
    private readonly float[] _logits;                   // (V)

    /// <param name="inputTable">(V, G H) row-major: layer 0's input projection per symbol, biases folded as SamplingStep does.</param>
    /// <param name="firstHh">Layer 0's W_hh (G H, H); the other matrices likewise.</param>
    /// <param name="head">The head's weight (V, H).</param>
    public SingleSampleStep(ModelType model, int layers, int hidden, float[] inputTable, PanelMatrix firstHh, float[]? firstHhBias,
        PanelMatrix[] upperWeights, float[][] upperBiases, PanelMatrix[] upperHh, float[][] upperHhBiases, PanelMatrix head, float[] headBias)
    {
        (_model, _hidden, _vocabularySize) = (model, hidden, headBias.Length);
        _gateRows = (model switch { ModelType.Lstm => 4, ModelType.Gru => 3, _ => 1 }) * hidden;
        (_inputTable, _firstHh, _firstHhBias) = (inputTable, firstHh, firstHhBias);
        (_upperWeights, _upperBiases, _upperHh, _upperHhBiases) = (upperWeights, upperBiases, upperHh, upperHhBiases);
        (_head, _headBias) = (head, headBias);
        if (inputTable.Length != _vocabularySize * _gateRows || (head.Rows, head.Cols) != (_vocabularySize, hidden) || upperWeights.Length != layers - 1)
            throw new ArgumentException($"weights do not fit {model} {layers}x{hidden} over {_vocabularySize} symbols");
        _h = Enumerable.Range(0, layers).Select(_ => new float[hidden]).ToArray();
        _c = model == ModelType.Lstm ? Enumerable.Range(0, layers).Select(_ => new float[hidden]).ToArray() : [];
        _gates = new float[_gateRows];
        _hiddenGates = new float[_gateRows];
        _input = new float[2 * hidden];
        _logits = new float[_vocabularySize];
    }

    /// <summary>V, the length of the logits.</summary>
    public int VocabularySize => _vocabularySize;

    /// <summary>The matrices one step reads whole (first layer's W_hh, each upper layer's, the head), for a bandwidth ceiling that reads exactly these bytes.</summary>
    public IEnumerable<PanelMatrix> Weights => new[] { _firstHh }.Concat(_upperWeights).Concat(_upperHh).Append(_head);

    /// <summary>Feeds one symbol (0 &lt;= symbol &lt; V) from the held state; returns the logits (V), valid until the next step.</summary>
    public ReadOnlySpan<float> Step(int symbol)
    {
        if ((uint)symbol >= (uint)_vocabularySize) throw new ArgumentOutOfRangeException(nameof(symbol), $"symbol {symbol} is outside the vocabulary of {_vocabularySize}");
        var n = _hidden;
        ReadOnlySpan<float> x = _inputTable.AsSpan(symbol * _gateRows, _gateRows);  // layer 0: W_ih x + b, one row
        for (var l = 0; l < _h.Length; l++)
        {
            var h = _h[l];
            if (_model == ModelType.Gru)
            {
                if (l == 0) x.CopyTo(_gates);
                else Product(_upperWeights[l - 1], x, _upperBiases[l - 1], _gates);           // W_i x + b_i
                Product(l == 0 ? _firstHh : _upperHh[l - 1], h, l == 0 ? _firstHhBias : _upperHhBiases[l - 1], _hiddenGates);
                var rz = _gates.AsSpan(0, 2 * n);
                TensorPrimitives.Add(rz, _hiddenGates.AsSpan(0, 2 * n), rz);
                TensorPrimitives.Sigmoid(rz, rz);                                               // r, z
                var candidate = _gates.AsSpan(2 * n, n);                                        // n = tanh(W_in x + b_in + r (W_hn h + b_hn))
                TensorPrimitives.FusedMultiplyAdd(rz[..n], _hiddenGates.AsSpan(2 * n, n), candidate, candidate);
                TensorPrimitives.Tanh(candidate, candidate);
                TensorPrimitives.Subtract(h, candidate, h);                                     // h' = n + z (h - n)
                TensorPrimitives.FusedMultiplyAdd(rz.Slice(n, n), h, candidate, h);
            }
            else
            {
                if (l == 0)
                {
                    Product(_firstHh, h, null, _gates);
                    TensorPrimitives.Add(_gates, x, _gates);
                }
                else
                {
                    x.CopyTo(_input);
                    h.CopyTo(_input.AsSpan(n));
                    Product(_upperWeights[l - 1], _input, _upperBiases[l - 1], _gates);
                }
                if (_model == ModelType.Lstm) LstmCell(_gates, _c[l], h);
                else TensorPrimitives.Tanh(_gates, h);
            }
            x = h;
        }
        Product(_head, x, _headBias, _logits);
        return _logits;
    }

    /// <summary>
    /// The LSTM cell from its gate pre-activations (i, f, g, o; each H): c = σ(f) c + σ(i) tanh(g), h = σ(o) tanh(c),
    /// one pass over the units with σ(z) = 1 / (1 + e^-z) and tanh(z) = 2 σ(2 z) - 1. Why one pass: seven
    /// TensorPrimitives calls (one per operation) took about 4 % of a 3x512 step.
    /// </summary>
    private static void LstmCell(float[] gates, float[] c, float[] h)
    {
        var n = h.Length;
        var width = Vector<float>.Count;
        var (one, two) = (Vector<float>.One, new Vector<float>(2f));
        var j = 0;
        for (; j + width <= n; j += width)
        {
            var i = one / (one + Vector.Exp(-new Vector<float>(gates, j)));
            var f = one / (one + Vector.Exp(-new Vector<float>(gates, n + j)));
            var g = two / (one + Vector.Exp(-two * new Vector<float>(gates, 2 * n + j))) - one;
            var o = one / (one + Vector.Exp(-new Vector<float>(gates, 3 * n + j)));
            var cell = Vector.MultiplyAddEstimate(i, g, f * new Vector<float>(c, j));
            cell.CopyTo(c, j);
            (o * (two / (one + Vector.Exp(-two * cell)) - one)).CopyTo(h, j);
        }
        for (; j < n; j++)
        {
            c[j] = Sigmoid(gates[n + j]) * c[j] + Sigmoid(gates[j]) * MathF.Tanh(gates[2 * n + j]);
            h[j] = Sigmoid(gates[3 * n + j]) * MathF.Tanh(c[j]);
        }
        static float Sigmoid(float z) => 1f / (1f + MathF.Exp(-z));
    }

    /// <summary>y = W v (+ b) for W (y.Length, v.Length), in vectors of the matrix's panel width.</summary>
    private static void Product(PanelMatrix w, ReadOnlySpan<float> v, float[]? bias, Span<float> y)
    {
        if (w.Rows != y.Length || w.Cols != v.Length) throw new ArgumentException($"a {w.Rows} x {w.Cols} matrix does not map {v.Length} inputs to {y.Length} outputs", nameof(w));
        if (w.IsWide) Product<Lanes512, Vector512<float>>(ref w.Start, v, y);
        else if (w.Width == Vector<float>.Count) Product<LanesOfVector, Vector<float>>(ref w.Start, v, y);
        else throw new UnreachableException($"panels of {w.Width} rows, which PanelMatrix does not make here");
        if (bias is not null) TensorPrimitives.Add(y, bias, y);
    }

    /// <summary>
    /// y = W v in panels of <typeparamref name="TLanes"/>' width. Each panel's outputs are summed in a register over all
    /// of v, four panels at a time, one from each quarter of the matrix; the last panel of each longer quarter is summed
    /// alone. Why: the weights are read once, each as a long forward stream, four streams at a time, and y is written
    /// once. Why four: on an AMD Zen 5 (docs/benchmarks.md, the section of 2026-12-02), four streams read the 21 MB of
    /// a 3x512 step at 0.94-1.04 of the fastest plain read whether the machine's memory was fast, slow or loaded by
    /// another thread, where eight streams drew 0.74-0.95 (lowest when slow or loaded; the bench's sampling figure fell
    /// to 0.81), two 0.88-1.03 and one 0.82-0.92. Reading the transposed matrix eight rows at a time instead drew 0.74
    /// on an AMD Zen 3.
    /// </summary>
    private static void Product<TLanes, TVector>(ref float p, ReadOnlySpan<float> v, Span<float> y)
        where TLanes : ILanes<TVector> where TVector : struct
    {
        var width = TLanes.Count;
        var count = PanelMatrix.Panels(y.Length, width);
        var length = (nuint)(v.Length * width);                                             // floats per panel
        ref var x = ref MemoryMarshal.GetReference(v);
        // Four contiguous runs of panels (lengths differ by at most one); pass t takes panel t of each run.
        var (run, longer) = (count / 4, count % 4);
        int Start(int r) => r * run + Math.Min(r, longer);
        var (o0, o1, o2, o3) = ((nuint)Start(0) * length, (nuint)Start(1) * length, (nuint)Start(2) * length, (nuint)Start(3) * length);
        for (var t = 0; t < run; t++, (o0, o1, o2, o3) = (o0 + length, o1 + length, o2 + length, o3 + length))
        {
            TVector c0 = default, c1 = default, c2 = default, c3 = default;
            for (nuint k = 0, at = 0; k < (nuint)v.Length; k++, at += (nuint)width)
            {
                var a = TLanes.Broadcast(Unsafe.Add(ref x, k));
                c0 = TLanes.MultiplyAdd(a, TLanes.Load(ref p, o0 + at), c0);
                c1 = TLanes.MultiplyAdd(a, TLanes.Load(ref p, o1 + at), c1);
                c2 = TLanes.MultiplyAdd(a, TLanes.Load(ref p, o2 + at), c2);
                c3 = TLanes.MultiplyAdd(a, TLanes.Load(ref p, o3 + at), c3);
            }
            Store<TLanes, TVector>(c0, Start(0) + t, y); Store<TLanes, TVector>(c1, Start(1) + t, y);
            Store<TLanes, TVector>(c2, Start(2) + t, y); Store<TLanes, TVector>(c3, Start(3) + t, y);
        }
        // The last panel of each longer run (all panels of a matrix with fewer than four): one at a time.
        for (var r = 0; r < longer; r++)
        {
            var panel = Start(r) + run;
            ref var p0 = ref Unsafe.Add(ref p, (nuint)panel * length);
            // Four chains of multiply-adds, so the additions do not wait on each other.
            TVector c0 = default, c1 = default, c2 = default, c3 = default;
            nuint k = 0, w = (nuint)width;
            for (; k + 3 < (nuint)v.Length; k += 4)
            {
                c0 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref x, k)), TLanes.Load(ref p0, k * w), c0);
                c1 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref x, k + 1)), TLanes.Load(ref p0, (k + 1) * w), c1);
                c2 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref x, k + 2)), TLanes.Load(ref p0, (k + 2) * w), c2);
                c3 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref x, k + 3)), TLanes.Load(ref p0, (k + 3) * w), c3);
            }
            for (; k < (nuint)v.Length; k++) c0 = TLanes.MultiplyAdd(TLanes.Broadcast(Unsafe.Add(ref x, k)), TLanes.Load(ref p0, k * w), c0);
            Store<TLanes, TVector>(TLanes.Add(TLanes.Add(c0, c1), TLanes.Add(c2, c3)), panel, y);
        }
    }

    /// <summary>Writes panel <paramref name="panel"/>'s outputs into y: the lanes past y's end are padding.</summary>
    private static void Store<TLanes, TVector>(TVector sums, int panel, Span<float> y) where TLanes : ILanes<TVector> where TVector : struct
    {
        var start = panel * TLanes.Count;
        if (start + TLanes.Count <= y.Length) TLanes.Store(sums, y[start..]);
        else for (var i = 0; start + i < y.Length; i++) y[start + i] = TLanes.Element(sums, i);
    }
}
