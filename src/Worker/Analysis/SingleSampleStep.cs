using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Numerics;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// <see cref="SamplingStep"/> at batch 1 with float32 weights, computed in managed memory: one symbol in, one row of
/// logits out, the state (h, and c for an LSTM, per layer) held here. Why its own code path: a batch-1 step is a chain
/// of matrix-vector products bound by the bandwidth of reading the weights once (21 MB at 3x512), and everything else
/// in it is a few thousand floats; through libtorch, each of its ~40 small operations costs an interop call and a
/// tensor (even inside one TorchScript call), which held the step to 0.68 of the rate its weights can be read at
/// (docs/benchmarks.md). Here each product reads its matrix once in panels of outputs summed in registers
/// (see <see cref="Product"/>), and the gate work is done in place on
/// preallocated vectors, so a step allocates nothing.
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
    // Matrices are held in panels (see PanelLayout and Product).
    private readonly float[] _firstHh;                  // W_hh (G H, H)
    private readonly float[]? _firstHhBias;             // GRU: (G H)
    private readonly float[][] _upperWeights;           // per upper layer: [W_ih W_hh] (G H, 2 H), or W_ih for a GRU (G H, H)
    private readonly float[][] _upperBiases;            // (G H)
    private readonly float[][] _upperHh;                // GRU: W_hh per upper layer (G H, H)
    private readonly float[][] _upperHhBiases;          // GRU: (G H)
    private readonly float[] _head;                     // head weight (V, H)
    private readonly float[] _headBias;                 // (V)

    private readonly float[][] _h;                      // per layer (H)
    private readonly float[][] _c;                      // LSTM: per layer (H)
    private readonly float[] _gates;                    // (G H)
    private readonly float[] _hiddenGates;              // GRU: W_hh h + b_hh (G H)
    private readonly float[] _input;                    // LSTM/RNN upper layers: [x, h] (2 H)
    private readonly float[] _logits;                   // (V)

    /// <param name="inputTable">(V, G H) row-major: layer 0's input projection per symbol, biases folded as SamplingStep does.</param>
    /// <param name="firstHh">Layer 0's W_hh (G H, H) in panels (<see cref="PanelLayout"/>); the other matrices likewise.</param>
    /// <param name="head">The head's weight (V, H) in panels.</param>
    public SingleSampleStep(ModelType model, int layers, int hidden, float[] inputTable, float[] firstHh, float[]? firstHhBias,
        float[][] upperWeights, float[][] upperBiases, float[][] upperHh, float[][] upperHhBiases, float[] head, float[] headBias)
    {
        (_model, _hidden, _vocabularySize) = (model, hidden, headBias.Length);
        _gateRows = (model switch { ModelType.Lstm => 4, ModelType.Gru => 3, _ => 1 }) * hidden;
        (_inputTable, _firstHh, _firstHhBias) = (inputTable, firstHh, firstHhBias);
        (_upperWeights, _upperBiases, _upperHh, _upperHhBiases) = (upperWeights, upperBiases, upperHh, upperHhBiases);
        (_head, _headBias) = (head, headBias);
        if (inputTable.Length != _vocabularySize * _gateRows || head.Length != PanelLayout.Length(_vocabularySize, hidden) || upperWeights.Length != layers - 1)
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
    public IEnumerable<float[]> Weights => new[] { _firstHh }.Concat(_upperWeights).Concat(_upperHh).Append(_head);

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
                if (_model == ModelType.Lstm)
                {
                    var gates = _gates.AsSpan();
                    var c = _c[l];
                    TensorPrimitives.Sigmoid(gates[..(2 * n)], gates[..(2 * n)]);                // i, f
                    TensorPrimitives.Tanh(gates.Slice(2 * n, n), gates.Slice(2 * n, n));         // g
                    TensorPrimitives.Sigmoid(gates.Slice(3 * n, n), gates.Slice(3 * n, n));      // o
                    TensorPrimitives.Multiply(gates.Slice(n, n), c, c);                          // c = f c + i g
                    TensorPrimitives.FusedMultiplyAdd(gates[..n], gates.Slice(2 * n, n), c, c);
                    TensorPrimitives.Tanh(c, h);                                                 // h = o tanh(c)
                    TensorPrimitives.Multiply(gates.Slice(3 * n, n), h, h);
                }
                else TensorPrimitives.Tanh(_gates, h);
            }
            x = h;
        }
        Product(_head, x, _headBias, _logits);
        return _logits;
    }

    /// <summary>
    /// y = W v (+ b), W (y.Length, v.Length) in panels (<see cref="PanelLayout"/>). Each panel's outputs are summed in
    /// a register over all of v, eight panels at a time, taken from eight evenly spaced places in the matrix. Why:
    /// the weights are read once, each as a long forward stream, eight streams at a time (one stream reads at about
    /// half the rate of four or eight here), and y is written once. Reading the transposed matrix eight rows at a
    /// time instead (eight streams of 8 KB each, y loaded and stored once per eight rows) drew 0.74 of the bandwidth
    /// ceiling at 3x512 on an AMD Zen 3; docs/benchmarks.md has the measurements.
    /// </summary>
    private static void Product(float[] panels, ReadOnlySpan<float> v, float[]? bias, Span<float> y)
    {
        var width = Vector<float>.Count;
        var count = PanelLayout.Panels(y.Length);
        var length = (nuint)(v.Length * width);                                             // floats per panel
        ref var p = ref MemoryMarshal.GetArrayDataReference(panels);
        if (panels.Length != count * v.Length * width) throw new ArgumentException($"{panels.Length} floats are not {y.Length} x {v.Length} in panels of {width}", nameof(panels));
        var spacing = (count + 7) / 8;
        for (var t = 0; t < spacing; t++)
        {
            if (t + 7 * spacing < count)
            {
                ref var p0 = ref Unsafe.Add(ref p, (nuint)t * length);
                var r = (nuint)spacing * length;
                Vector<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
                for (nuint k = 0, at = 0; k < (nuint)v.Length; k++, at += (nuint)width)
                {
                    var a = new Vector<float>(v[(int)k]);
                    c0 = Vector.FusedMultiplyAdd(a, Vector.LoadUnsafe(ref p0, at), c0);
                    c1 = Vector.FusedMultiplyAdd(a, Vector.LoadUnsafe(ref p0, at + r), c1);
                    c2 = Vector.FusedMultiplyAdd(a, Vector.LoadUnsafe(ref p0, at + 2 * r), c2);
                    c3 = Vector.FusedMultiplyAdd(a, Vector.LoadUnsafe(ref p0, at + 3 * r), c3);
                    c4 = Vector.FusedMultiplyAdd(a, Vector.LoadUnsafe(ref p0, at + 4 * r), c4);
                    c5 = Vector.FusedMultiplyAdd(a, Vector.LoadUnsafe(ref p0, at + 5 * r), c5);
                    c6 = Vector.FusedMultiplyAdd(a, Vector.LoadUnsafe(ref p0, at + 6 * r), c6);
                    c7 = Vector.FusedMultiplyAdd(a, Vector.LoadUnsafe(ref p0, at + 7 * r), c7);
                }
                Store(c0, t, y); Store(c1, t + spacing, y); Store(c2, t + 2 * spacing, y); Store(c3, t + 3 * spacing, y);
                Store(c4, t + 4 * spacing, y); Store(c5, t + 5 * spacing, y); Store(c6, t + 6 * spacing, y); Store(c7, t + 7 * spacing, y);
            }
            else
            {
                // Fewer than eight panels left at this offset (a small matrix, or the end of one): one at a time.
                for (var panel = t; panel < count; panel += spacing)
                {
                    ref var p0 = ref Unsafe.Add(ref p, (nuint)panel * length);
                    Vector<float> even = default, odd = default;                                // two chains of multiply-adds
                    var k = 0;
                    for (; k + 1 < v.Length; k += 2)
                    {
                        even = Vector.FusedMultiplyAdd(new Vector<float>(v[k]), Vector.LoadUnsafe(ref p0, (nuint)(k * width)), even);
                        odd = Vector.FusedMultiplyAdd(new Vector<float>(v[k + 1]), Vector.LoadUnsafe(ref p0, (nuint)((k + 1) * width)), odd);
                    }
                    if (k < v.Length) even = Vector.FusedMultiplyAdd(new Vector<float>(v[k]), Vector.LoadUnsafe(ref p0, (nuint)(k * width)), even);
                    Store(even + odd, panel, y);
                }
            }
        }
        if (bias is not null) TensorPrimitives.Add(y, bias, y);
    }

    /// <summary>Writes panel <paramref name="panel"/>'s outputs into y: the lanes past y's end are padding.</summary>
    private static void Store(Vector<float> sums, int panel, Span<float> y)
    {
        var start = panel * Vector<float>.Count;
        if (start + Vector<float>.Count <= y.Length) sums.CopyTo(y[start..]);
        else for (var i = 0; start + i < y.Length; i++) y[start + i] = sums[i];
    }
}

/// <summary>
/// How <see cref="SingleSampleStep"/> holds a matrix W (rows, cols): in panels of P = <see cref="Vector{T}"/>.Count
/// rows (8 floats with AVX2 or AVX-512, 4 on ARM), the last padded with zero rows. Panel b holds, for each column k
/// in order, W[b P .. b P + P - 1, k]: P consecutive floats, so one vector load gives one column's entries for P
/// outputs, and a panel is read front to back once per product.
/// </summary>
internal static class PanelLayout
{
    /// <summary>Panels for <paramref name="rows"/> outputs.</summary>
    public static int Panels(int rows) => (rows + Vector<float>.Count - 1) / Vector<float>.Count;

    /// <summary>Floats a (rows, cols) matrix takes in panels, padding included.</summary>
    public static int Length(int rows, int cols) => Panels(rows) * cols * Vector<float>.Count;
}
