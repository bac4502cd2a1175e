using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Analysis;

public class SaturationTests
{
    [Fact]
    public void Of_GivesPerUnitFractions_WhenActivationsAreConstructed()
    {
        // (B = 2, T = 5, H = 3): unit 0 always left-saturated; unit 1 right 6/10 and left 2/10;
        // unit 2 exactly on the thresholds (neither: both comparisons are strict) or in between.
        var unit0 = Enumerable.Repeat(0.05f, 10).ToArray();
        float[] unit1 = [0.95f, 0.5f, 0.05f, 0.99f, 0.91f, 0.92f, 0.01f, 0.93f, 0.94f, 0.3f];
        float[] unit2 = [0.1f, 0.9f, 0.5f, 0.1f, 0.9f, 0.5f, 0.1f, 0.9f, 0.5f, 0.11f];
        var values = new float[30];
        for (var n = 0; n < 10; n++) (values[n * 3], values[n * 3 + 1], values[n * 3 + 2]) = (unit0[n], unit1[n], unit2[n]);
        using var activations = tensor(values, [2, 5, 3]);

        var points = Saturation.Of(1, Gate.Forget, activations);

        Assert.Equal(3, points.Count);
        Assert.Equal(new SaturationPoint(1, Gate.Forget, 0, 1.0, 0.0), points[0]);
        Assert.Equal(new SaturationPoint(1, Gate.Forget, 1, 0.2, 0.6), points[1]);
        Assert.Equal(new SaturationPoint(1, Gate.Forget, 2, 0.0, 0.0), points[2]);
    }

    [Fact]
    public void Of_AcceptsFlattenedActivations_WhenGivenStepsByUnits()
    {
        using var activations = tensor(new float[] { 0.0f, 1.0f, 0.0f, 0.5f, 1.0f, 0.5f, 1.0f, 0.0f }, [4, 2]); // (N, H)

        var points = Saturation.Of(0, Gate.Update, activations);

        Assert.Equal([(0.5, 0.5), (0.25, 0.25)], points.Select(p => (p.LeftFraction, p.RightFraction)));
    }

    [Theory]
    [InlineData(ModelType.Lstm, 3)]
    [InlineData(ModelType.Gru, 2)]
    [InlineData(ModelType.Rnn, 0)]
    public void Of_CoversOnlySigmoidGatesOfEveryLayer_WhenGivenATrace(ModelType type, int sigmoidGates)
    {
        var (text, v) = TestCorpus.Generate(1000);
        manual_seed(3);
        using var model = new CharRnn(type, 2, 8, v, oneHot: true, dropoutRate: 0);
        using var extractor = new GateExtractor(model);
        using var trace = extractor.Extract(text, streams: 4, steps: 20);

        var points = Saturation.Of(trace);

        Assert.Equal(2 * sigmoidGates * 8, points.Count);
        Assert.All(points, p => Assert.True(p.Gate.IsSigmoid()));
        Assert.All(points, p => Assert.InRange(p.LeftFraction + p.RightFraction, 0, 1));
    }

    [Fact]
    public void Measure_EqualsOneTrace_WhenTheTextIsReadInChunks()
    {
        var (text, v) = TestCorpus.Generate(1000);
        manual_seed(4);
        using var model = new CharRnn(ModelType.Lstm, 2, 8, v, oneHot: true, dropoutRate: 0);
        using var extractor = new GateExtractor(model);
        using var trace = extractor.Extract(text, streams: 4, steps: 90);

        var chunked = Saturation.Measure(extractor, text, streams: 4, maxSteps: 90, chunkSteps: 20);

        Assert.Equal(Saturation.Of(trace), chunked);
    }

    [Fact]
    public void Of_ReportsAGruThatKeepsItsStateAsLeftSaturated_InThePapersConvention()
    {
        // Update-gate biases of +12 make PyTorch's z = sigmoid(...) about 1 at every step: h' = (1 - z) n + z h = h.
        // char-rnn's gate is 1 - z, about 0: left-saturated in the paper (its Figure 3 reads a GRU this way).
        var (text, v) = TestCorpus.Generate(1000);
        manual_seed(5);
        using var model = new CharRnn(ModelType.Gru, 2, 8, v, oneHot: true, dropoutRate: 0);
        using (no_grad())
        {
            foreach (var (name, parameter) in model.named_parameters())
            {
                if (name.StartsWith("gru.bias_ih_l", StringComparison.Ordinal)) parameter[TensorIndex.Slice(8, 16)].fill_(12.0); // rows H..2H: z
            }
        }
        using var extractor = new GateExtractor(model);
        using var trace = extractor.Extract(text, streams: 4, steps: 30);
        var h = trace[1, Gate.Hidden];                                            // (B, T, H), from zero state
        Assert.True(h.abs().max().item<float>() < 1e-3f, "the biases should make the GRU keep its zero state");

        var update = Saturation.Of(trace).Where(p => p.Gate == Gate.Update).ToList();

        Assert.Equal(2 * 8, update.Count);
        Assert.All(update, p => Assert.Equal((1.0, 0.0), (p.LeftFraction, p.RightFraction)));
    }

    [Fact]
    public void Add_Throws_WhenTheGateIsNotASigmoid()
    {
        using var activations = zeros(4, 2);

        Assert.Throws<ArgumentException>(() => Saturation.Of(0, Gate.Candidate, activations));
    }
}
