using System.Text;
using RnnSweep.Shared.Domain;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// What the cell visualiser shows: per layer, step and unit, tanh(c) (LSTM) or h (GRU, RNN) over an excerpt read as
/// one continuous stream, quantized to int8 (two's complement in <see cref="Values"/>, layout layers x steps x
/// hidden, row-major) with value = q x <see cref="Scale"/>. Why int8: every quantity lies in [-1, 1], so the
/// error (at most Scale / 2, about 0.004) is far below what a colour shows, and 3 x 2,000 x 512 values take 3 MB.
/// <see cref="Text"/> has exactly one rune per step (symbols of a byte vocabulary as Latin-1, U+0000-U+00FF).
/// </summary>
public sealed record CellActivations(string Text, ModelType Model, int Layers, int Steps, int Hidden, float Scale, byte[] Values)
{
    public const int DefaultCharacters = 2000;

    /// <summary>The excerpt's first <paramref name="characters"/> symbols of <paramref name="text"/> (e.g. the test split).</summary>
    public static CellActivations Capture(GateExtractor extractor, EncodedText text, Vocabulary vocabulary, int characters = DefaultCharacters)
    {
        // One stream of T = characters steps: StreamLength(text, 1) = Length - 1 leaves one symbol for a target.
        var steps = (int)Math.Min(characters, text.Length - 1);
        using var scope = NewDisposeScope();
        using var trace = extractor.Extract(text, streams: 1, steps);
        var values = stack(Enumerable.Range(0, trace.Layers.Count).Select(l => trace.CellView(l)[0]).ToArray()); // (L, T, H)
        var symbols = new long[steps];
        text.CopyTo(0, symbols);
        return Encode(TextOf(symbols, vocabulary), trace.Model, values);
    }

    /// <summary>Quantizes <paramref name="values"/> (L, T, H) with the scale max |v| / 127.</summary>
    public static CellActivations Encode(string text, ModelType model, Tensor values)
    {
        if (values.dim() != 3) throw new ArgumentException($"values must be (layers, steps, hidden), not ({string.Join(", ", values.shape)})", nameof(values));
        var (layers, steps, hidden) = ((int)values.shape[0], (int)values.shape[1], (int)values.shape[2]);
        if (text.EnumerateRunes().Count() != steps) throw new ArgumentException($"the text must have one rune per step ({steps})", nameof(text));
        var floats = values.to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        var maxAbs = floats.Length == 0 ? 0f : floats.Max(Math.Abs);
        var scale = maxAbs > 0 ? maxAbs / 127f : 1f;
        var bytes = new byte[floats.Length];
        for (var i = 0; i < floats.Length; i++) bytes[i] = unchecked((byte)(sbyte)Math.Clamp(MathF.Round(floats[i] / scale), -127, 127));
        return new CellActivations(text, model, layers, steps, hidden, scale, bytes);
    }

    /// <summary>All values, layers x steps x hidden, row-major.</summary>
    public float[] Decode()
    {
        var floats = new float[Values.Length];
        for (var i = 0; i < floats.Length; i++) floats[i] = unchecked((sbyte)Values[i]) * Scale;
        return floats;
    }

    public float At(int layer, int step, int unit) => unchecked((sbyte)Values[((long)layer * Steps + step) * Hidden + unit]) * Scale;

    /// <summary>One unit's values over the excerpt (what the visualiser colours the characters by).</summary>
    public float[] Unit(int layer, int unit)
    {
        var series = new float[Steps];
        for (var t = 0; t < Steps; t++) series[t] = At(layer, t, unit);
        return series;
    }

    private static string TextOf(long[] symbols, Vocabulary vocabulary)
    {
        var sb = new StringBuilder(symbols.Length);
        foreach (var s in symbols)
        {
            var value = vocabulary.Symbols[(int)s];
            sb.Append(vocabulary.Kind == VocabularyKinds.Bytes ? ((char)value).ToString() : char.ConvertFromUtf32(value));
        }
        return sb.ToString();
    }
}
