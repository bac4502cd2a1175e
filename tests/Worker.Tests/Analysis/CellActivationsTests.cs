using System.Text;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Analysis;

public class CellActivationsTests
{
    [Fact]
    public void Decode_ReturnsEveryValueWithinHalfAScaleStep_WhenEncodedToInt8()
    {
        const string text = "abcde";
        var random = new Random(2);
        var values = Enumerable.Range(0, 3 * 5 * 4).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        var cells = CellActivations.Encode(text, ModelType.Lstm, tensor(values, [3, 5, 4]));
        var decoded = cells.Decode();

        Assert.Equal(60, cells.Values.Length);
        Assert.Equal(values.Max(Math.Abs) / 127f, cells.Scale, 1e-7);
        for (var i = 0; i < values.Length; i++) Assert.True(Math.Abs(decoded[i] - values[i]) <= cells.Scale / 2 + 1e-7);
        Assert.Equal(values[(2 * 5 + 3) * 4 + 1], cells.At(2, 3, 1), cells.Scale / 2 + 1e-7);
    }

    [Fact]
    public void Capture_StoresTanhOfTheCellPerLayerOverOneContinuousStream_WhenModelIsLstm()
    {
        var source = string.Concat(Enumerable.Repeat("the \"cat\" (sat) on a mat.\n", 100));
        var utf8 = Encoding.UTF8.GetBytes(source);
        var vocabulary = Vocabulary.Build(utf8, "chars");
        var text = vocabulary.Encode(utf8);
        manual_seed(8);
        using var model = new CharRnn(ModelType.Lstm, 2, 8, vocabulary.Size, oneHot: true, dropoutRate: 0);
        using var extractor = new GateExtractor(model);

        var cells = CellActivations.Capture(extractor, text, vocabulary, characters: 300);

        Assert.Equal(source[..300], cells.Text);
        Assert.Equal((2, 300, 8), (cells.Layers, cells.Steps, cells.Hidden));
        using var trace = extractor.Extract(text, streams: 1, steps: 300);
        var expected = trace[1, Gate.Cell].tanh()[0, 299, 5].item<float>();
        Assert.Equal(expected, cells.At(1, 299, 5), cells.Scale / 2 + 1e-6);
    }
}
