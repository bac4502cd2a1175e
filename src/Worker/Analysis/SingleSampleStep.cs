using System.Numerics.Tensors;
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
/// (docs/benchmarks.md). Here each product accumulates the rows of the transposed weights into the output, eight
/// rows per pass with 512-bit vectors where they are fast, else with System.Numerics.Tensors' vectorised multiply-add
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
    // Matrices are held transposed (in, out) row-major: see Product.
    private readonly float[] _firstHh;                  // W_hh^T (H, G H)
    private readonly float[]? _firstHhBias;             // GRU: (G H)
    private readonly float[][] _upperWeights;           // per upper layer: [W_ih W_hh]^T (2 H, G H), or W_ih^T for a GRU (H, G H)
    private readonly float[][] _upperBiases;            // (G H)
    private readonly float[][] _upperHh;                // GRU: W_hh^T per upper layer (H, G H)
    private readonly float[][] _upperHhBiases;          // GRU: (G H)
    private readonly float[] _head;                     // head weight^T (H, V)
    private readonly float[] _headBias;                 // (V)

    private readonly float[][] _h;                      // per layer (H)
    private readonly float[][] _c;                      // LSTM: per layer (H)
    private readonly float[] _gates;                    // (G H)
    private readonly float[] _hiddenGates;              // GRU: W_hh h + b_hh (G H)
    private readonly float[] _input;                    // LSTM/RNN upper layers: [x, h] (2 H)
    private readonly float[] _logits;                   // (V)

    /// <param name="inputTable">(V, G H) row-major: layer 0's input projection per symbol, biases folded as SamplingStep does.</param>
    /// <param name="firstHh">Layer 0's W_hh transposed: (H, G H) row-major; the other matrices likewise transposed.</param>
    /// <param name="head">The head's weight transposed: (H, V) row-major.</param>
    public SingleSampleStep(ModelType model, int layers, int hidden, float[] inputTable, float[] firstHh, float[]? firstHhBias,
        float[][] upperWeights, float[][] upperBiases, float[][] upperHh, float[][] upperHhBiases, float[] head, float[] headBias)
    {
        (_model, _hidden, _vocabularySize) = (model, hidden, headBias.Length);
        _gateRows = (model switch { ModelType.Lstm => 4, ModelType.Gru => 3, _ => 1 }) * hidden;
        (_inputTable, _firstHh, _firstHhBias) = (inputTable, firstHh, firstHhBias);
        (_upperWeights, _upperBiases, _upperHh, _upperHhBiases) = (upperWeights, upperBiases, upperHh, upperHhBiases);
        (_head, _headBias) = (head, headBias);
        if (inputTable.Length != _vocabularySize * _gateRows || head.Length != _vocabularySize * hidden || upperWeights.Length != layers - 1)
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
    /// y = W v (+ b), from W's transpose (cols, rows) row-major with cols = v.Length: y accumulates v[k] times row k.
    /// Why this order rather than one dot product per output: the weights are read once, front to back, y (at most
    /// 8 KB) stays in the L1 cache, and no output needs a horizontal sum. Eight rows at a time where 512-bit vectors
    /// are fast (<see cref="EightRows"/>), then one at a time. docs/benchmarks.md has the measurements.
    /// </summary>
    private static void Product(float[] transposed, ReadOnlySpan<float> v, float[]? bias, Span<float> y)
    {
        var rows = y.Length;
        if (bias is null) y.Clear();
        else bias.CopyTo(y);
        var w = transposed.AsSpan();
        var k = Vector512.IsHardwareAccelerated ? EightRows(w, v, y) : 0;
        for (; k < v.Length; k++) TensorPrimitives.MultiplyAdd(w.Slice(k * rows, rows), v[k], y, y);
    }

    /// <summary>
    /// y += v[k] w_k over groups of eight rows w_k of the transpose (each y.Length long), reading eight rows' vectors
    /// per store of y. Why: one row per pass (TensorPrimitives.MultiplyAdd) loaded and stored y once for every 64 bytes of
    /// weights; the 3x512 sampler drew 1,400-1,470 characters a second with it and 1,860-2,150 with this (one thread).
    /// Sixteen rows per pass, eight from each half of the matrix, were slower (1,590-1,690). Returns how many rows
    /// (entries of v) it used: a multiple of 8.
    /// </summary>
    private static int EightRows(ReadOnlySpan<float> w, ReadOnlySpan<float> v, Span<float> y)
    {
        var rows = y.Length;
        var vectors = rows - rows % Vector512<float>.Count;
        var r = (nuint)rows;
        ref var o = ref MemoryMarshal.GetReference(y);
        var k = 0;
        for (; k + 8 <= v.Length; k += 8)
        {
            ref var w0 = ref MemoryMarshal.GetReference(w.Slice(k * rows, 8 * rows));           // bounds: the 8 rows exist
            var (a0, a1, a2, a3) = (Vector512.Create(v[k]), Vector512.Create(v[k + 1]), Vector512.Create(v[k + 2]), Vector512.Create(v[k + 3]));
            var (a4, a5, a6, a7) = (Vector512.Create(v[k + 4]), Vector512.Create(v[k + 5]), Vector512.Create(v[k + 6]), Vector512.Create(v[k + 7]));
            for (nuint j = 0; j < (nuint)vectors; j += (nuint)Vector512<float>.Count)
            {
                // Two chains so the adds do not wait on each other.
                var s0 = Vector512.FusedMultiplyAdd(a0, Vector512.LoadUnsafe(ref w0, j), Vector512.LoadUnsafe(ref o, j));
                var s1 = a1 * Vector512.LoadUnsafe(ref w0, j + r);
                s0 = Vector512.FusedMultiplyAdd(a2, Vector512.LoadUnsafe(ref w0, j + 2 * r), s0);
                s1 = Vector512.FusedMultiplyAdd(a3, Vector512.LoadUnsafe(ref w0, j + 3 * r), s1);
                s0 = Vector512.FusedMultiplyAdd(a4, Vector512.LoadUnsafe(ref w0, j + 4 * r), s0);
                s1 = Vector512.FusedMultiplyAdd(a5, Vector512.LoadUnsafe(ref w0, j + 5 * r), s1);
                s0 = Vector512.FusedMultiplyAdd(a6, Vector512.LoadUnsafe(ref w0, j + 6 * r), s0);
                s1 = Vector512.FusedMultiplyAdd(a7, Vector512.LoadUnsafe(ref w0, j + 7 * r), s1);
                (s0 + s1).StoreUnsafe(ref o, j);
            }
            for (var j = vectors; j < rows; j++)
            {
                var sum = y[j];
                for (var q = 0; q < 8; q++) sum += v[k + q] * w[(k + q) * rows + j];
                y[j] = sum;
            }
        }
        return k;
    }
}
