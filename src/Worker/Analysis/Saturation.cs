using RnnSweep.Shared.Domain;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// Gate saturation as in the paper: per unit (never averaged over units, the seed's mistake), the fraction of
/// time steps it is left-saturated (&lt; 0.1) and right-saturated (&gt; 0.9). Sigmoid gates only (LSTM i, f, o;
/// GRU r, z): the paper plots no saturation for tanh quantities.
/// The GRU update gate is reported in the paper's convention. char-rnn (the paper's code, model/GRU.lua) computes
/// h' = u * candidate + (1 - u) * h, PyTorch h' = (1 - z) * n + z * h, so the paper's gate is u = 1 - z: a unit
/// that keeps its state (z near 1) is left-saturated in the paper and here. <see cref="GateExtractor"/> keeps
/// PyTorch's z (it is checked against the fused module); only the saturation counts flip it.
/// </summary>
public static class Saturation
{
    public const double LeftThreshold = 0.1;
    public const double RightThreshold = 0.9;

    /// <summary>Per unit of one gate; <paramref name="activations"/> is (B, T, H) or (N, H).</summary>
    public static IReadOnlyList<SaturationPoint> Of(int layer, Gate gate, Tensor activations)
    {
        var counts = new SaturationCounts();
        counts.Add(layer, gate, activations);
        return counts.ToPoints();
    }

    /// <summary>Every sigmoid gate of every layer of one trace.</summary>
    public static IReadOnlyList<SaturationPoint> Of(GateTrace trace)
    {
        var counts = new SaturationCounts();
        counts.Add(trace);
        return counts.ToPoints();
    }

    /// <summary>
    /// Over <paramref name="maxSteps"/> steps of <paramref name="streams"/> streams of <paramref name="text"/>
    /// (e.g. the test split), chunk by chunk with the state carried, so memory stays at one chunk.
    /// </summary>
    public static IReadOnlyList<SaturationPoint> Measure(GateExtractor extractor, EncodedText text, int streams = 50,
        long maxSteps = long.MaxValue, int chunkSteps = 100)
    {
        var counts = new SaturationCounts();
        extractor.ForEachChunk(text, streams, chunkSteps, maxSteps, counts.Add);
        return counts.ToPoints();
    }
}

/// <summary>Left/right saturation counts per (layer, gate, unit), summed over chunks.</summary>
public sealed class SaturationCounts
{
    private readonly SortedDictionary<(int Layer, Gate Gate), (long[] Left, long[] Right, long Steps)> _counts = new();

    public void Add(GateTrace trace)
    {
        for (var l = 0; l < trace.Layers.Count; l++)
        {
            foreach (var gate in GateNames.SigmoidGatesOf(trace.Model)) Add(l, gate, trace[l, gate]);
        }
    }

    /// <summary>
    /// <paramref name="activations"/>: (B, T, H) or (N, H); every row is one time step of one stream. For
    /// <see cref="Gate.Update"/> they are PyTorch's z and are counted as the paper's 1 - z.
    /// </summary>
    public void Add(int layer, Gate gate, Tensor activations)
    {
        if (!gate.IsSigmoid()) throw new ArgumentException($"{gate.Name()} is not a sigmoid gate; the paper plots saturation for sigmoid gates only", nameof(gate));
        using var scope = NewDisposeScope();
        var flat = activations.reshape(-1, activations.shape[^1]);                // (N, H)
        if (gate == Gate.Update) flat = 1 - flat;                                 // PyTorch's z to the paper's u = 1 - z
        var left = flat.lt(Saturation.LeftThreshold).sum(dim: 0, type: ScalarType.Int64).cpu().data<long>().ToArray();  // (H)
        var right = flat.gt(Saturation.RightThreshold).sum(dim: 0, type: ScalarType.Int64).cpu().data<long>().ToArray(); // (H)
        var key = (layer, gate);
        if (_counts.TryGetValue(key, out var sum))
        {
            if (sum.Left.Length != left.Length) throw new ArgumentException($"layer {layer} {gate.Name()} had {sum.Left.Length} units, now {left.Length}", nameof(activations));
            for (var u = 0; u < left.Length; u++) { sum.Left[u] += left[u]; sum.Right[u] += right[u]; }
            _counts[key] = (sum.Left, sum.Right, sum.Steps + flat.shape[0]);
        }
        else
        {
            _counts[key] = (left, right, flat.shape[0]);
        }
    }

    /// <summary>Points ordered by layer, gate, unit.</summary>
    public IReadOnlyList<SaturationPoint> ToPoints() =>
        _counts.SelectMany(p => Enumerable.Range(0, p.Value.Left.Length).Select(u => new SaturationPoint(
            p.Key.Layer, p.Key.Gate, u, (double)p.Value.Left[u] / p.Value.Steps, (double)p.Value.Right[u] / p.Value.Steps)))
            .ToList();
}
