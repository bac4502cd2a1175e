using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Analysis;

public class GateExtractorTests
{
    private const double Tolerance = 1e-5;

    [Theory]
    [InlineData(ModelType.Lstm, 1)]
    [InlineData(ModelType.Lstm, 2)]
    [InlineData(ModelType.Lstm, 3)]
    [InlineData(ModelType.Gru, 1)]
    [InlineData(ModelType.Gru, 2)]
    [InlineData(ModelType.Gru, 3)]
    [InlineData(ModelType.Rnn, 1)]
    [InlineData(ModelType.Rnn, 2)]
    [InlineData(ModelType.Rnn, 3)]
    public void CompareWithFused_DiffersByLessThan1e5_WhenModelIsRandomlyInitialized(ModelType type, int layers)
    {
        var (text, v) = TestCorpus.Generate(2000);
        manual_seed(11);
        using var model = new CharRnn(type, layers, 12, v, oneHot: true, dropoutRate: 0.3);
        using var extractor = new GateExtractor(model);
        var (x, _) = Streams(text, streams: 5, steps: 40);

        var check = extractor.CompareWithFused(x);

        Assert.True(check.Max < Tolerance, $"{type} x{layers}: {check}");
        Assert.Equal(layers, check.LayerHidden.Count);
        Assert.Equal(layers, check.LastHidden.Count);
        Assert.Equal(type == ModelType.Lstm ? layers : 0, check.LastCell.Count);
    }

    [Theory]
    [InlineData(ModelType.Lstm)]
    [InlineData(ModelType.Gru)]
    public void CompareWithFused_DiffersByLessThan1e5_WhenInputIsEmbedding(ModelType type)
    {
        var (text, v) = TestCorpus.Generate(2000);
        manual_seed(12);
        using var model = new CharRnn(type, 2, 16, v, oneHot: false, dropoutRate: 0);
        using var extractor = new GateExtractor(model);
        var (x, _) = Streams(text, streams: 3, steps: 25);

        var check = extractor.CompareWithFused(x);

        Assert.True(check.Max < Tolerance, check.ToString());
    }

    [Fact]
    public void Extract_GivesEveryGateAsBatchByStepsByHidden_WhenModelIsLstm()
    {
        var (text, v) = TestCorpus.Generate(2000);
        manual_seed(13);
        using var model = new CharRnn(ModelType.Lstm, 2, 8, v, oneHot: true, dropoutRate: 0);
        using var extractor = new GateExtractor(model);

        using var trace = extractor.Extract(text, streams: 4, steps: 30);

        Assert.Equal(2, trace.Layers.Count);
        foreach (var layer in trace.Layers)
        {
            Assert.Equal(GateNames.Of(ModelType.Lstm).Order(), layer.Keys.Order());
            foreach (var tensor in layer.Values) Assert.Equal(new long[] { 4, 30, 8 }, tensor.shape);
        }
        // c_t = f c + i g from zero state: the first step's cell is i * g exactly.
        var first = trace[1, Gate.Input].select(1, 0).mul(trace[1, Gate.Candidate].select(1, 0));
        Assert.True(first.sub(trace[1, Gate.Cell].select(1, 0)).abs().max().item<float>() < 1e-7);
    }

    [Theory]
    [InlineData(ModelType.Lstm)]
    [InlineData(ModelType.Gru)]
    public void ForEachChunk_EqualsOneExtraction_WhenStateIsCarriedAcrossChunks(ModelType type)
    {
        var (text, v) = TestCorpus.Generate(2000);
        manual_seed(14);
        using var model = new CharRnn(type, 2, 8, v, oneHot: true, dropoutRate: 0);
        using var extractor = new GateExtractor(model);
        using var whole = extractor.Extract(text, streams: 4, steps: 60);

        var chunks = new List<Tensor>();
        extractor.ForEachChunk(text, streams: 4, chunkSteps: 25, maxSteps: 60, t => chunks.Add(t[1, Gate.Hidden].clone()));

        Assert.Equal(3, chunks.Count);
        var joined = cat(chunks, 1);                                              // (B, T, H)
        Assert.True(joined.sub(whole[1, Gate.Hidden]).abs().max().item<float>() < 1e-6);
    }

    private static (Tensor X, Tensor Y) Streams(EncodedText text, int streams, int steps)
    {
        var length = (text.Length - 1) / streams;
        var x = new long[streams * steps];
        for (var b = 0; b < streams; b++) text.CopyTo(b * length, x.AsSpan(b * steps, steps));
        return (tensor(x, [streams, steps]), empty(0));
    }
}
