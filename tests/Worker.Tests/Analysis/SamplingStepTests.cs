using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Analysis;

/// <summary>The sampler's own step kernel against the fused module, bfloat16 weights, and many samples in one pass.</summary>
[Collection(TrainedSamplerCollection.Name)]
public class SamplingStepTests(TrainedSamplerFixture trained)
{
    [Theory]
    [InlineData(ModelType.Lstm, true)]
    [InlineData(ModelType.Lstm, false)]
    [InlineData(ModelType.Gru, true)]
    [InlineData(ModelType.Rnn, false)]
    public void Step_GivesTheFusedModulesLogits_StepByStep_ForEveryRowOfABatch(ModelType type, bool oneHot)
    {
        manual_seed(5);
        using var model = new CharRnn(type, 2, 24, 11, oneHot, dropoutRate: 0);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randint(0, 11, [3, 9]);                                                    // (B, T)
        var (expected, _) = model.Forward(x, model.ZeroState(3, CPU));                     // (B, T, V)

        using var step = new SamplingStep(model);
        var state = model.ZeroState(3, CPU);
        for (var t = 0; t < 9; t++)
        {
            var (logits, next) = step.Step(x[.., t].contiguous(), state);
            state = next;
            var difference = (logits - expected[.., t]).abs().max().item<float>();
            Assert.True(difference < 1e-5, $"{type} step {t}: largest logit difference {difference}");
        }
        state.Dispose();
    }

    [Theory]
    [InlineData(ModelType.Lstm, 3, true)]
    [InlineData(ModelType.Lstm, 1, false)]
    [InlineData(ModelType.Gru, 2, true)]
    [InlineData(ModelType.Gru, 3, false)]
    [InlineData(ModelType.Rnn, 2, true)]
    // Larger sizes: products whose four runs of panels are all equal (LSTM 4 x 64 rows) or not (75, 141), and an LSTM
    // cell with a remainder after its vectors at every vector width (75).
    [InlineData(ModelType.Lstm, 2, true, 64)]
    [InlineData(ModelType.Lstm, 1, false, 75)]
    [InlineData(ModelType.Gru, 2, false, 75)]
    [InlineData(ModelType.Rnn, 1, true, 141)]
    public void SingleSampleStep_GivesTheFusedModulesLogits_StepByStep(ModelType type, int layers, bool oneHot, int hidden = 20)
    {
        manual_seed(6);
        using var model = new CharRnn(type, layers, hidden, 13, oneHot, dropoutRate: 0);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randint(0, 13, [1, 40]);                                                   // (1, T)
        var (expected, _) = model.Forward(x, model.ZeroState(1, CPU));                     // (1, T, V)
        var reference = expected[0].contiguous().data<float>().ToArray();                  // (T V)
        var symbols = x[0].data<long>().ToArray();

        using var torchStep = new SamplingStep(model);
        // Both products this processor can run: 512-bit panels with AVX-512, and Vector<T>'s everywhere.
        foreach (var width in new[] { PanelMatrix.PreferredWidth, System.Numerics.Vector<float>.Count }.Distinct())
        {
            var step = torchStep.ForOneSample(width);
            for (var t = 0; t < symbols.Length; t++)
            {
                var logits = step.Step((int)symbols[t]).ToArray();
                var difference = logits.Select((v, i) => Math.Abs(v - reference[t * 13 + i])).Max();
                Assert.True(difference < 1e-5, $"{type} {layers}x{hidden}, panels of {width}, step {t}: largest logit difference {difference}");
            }
            Assert.Throws<ArgumentOutOfRangeException>(() => step.Step(13));
        }
    }

    [Fact]
    public void SingleSampleStep_IsOnlyForFloat32Weights()
    {
        using var half = new SamplingStep(trained.Model, ScalarType.BFloat16);
        Assert.Throws<InvalidOperationException>(() => half.ForOneSample());
    }

    [Fact]
    public void BFloat16Weights_KeepTheTrainedModelsLoss_WithinAHundredthOfANat()
    {
        var encoded = trained.Vocabulary.Encode(System.Text.Encoding.UTF8.GetBytes(trained.Text[..1201]));
        var symbols = Enumerable.Range(0, 1201).Select(i => (long)encoded[i]).ToArray();
        double Loss(ScalarType format)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var step = new SamplingStep(trained.Model, format);
            var state = trained.Model.ZeroState(1, CPU);
            var all = new List<Tensor>();
            for (var t = 0; t < 1200; t++)
            {
                var (logits, next) = step.Step(tensor(new[] { symbols[t] }), state);
                state = next;
                all.Add(logits);
            }
            state.Dispose();
            return nn.functional.cross_entropy(cat(all, 0), tensor(symbols[1..])).item<float>();
        }

        var full = Loss(ScalarType.Float32);
        var half = Loss(ScalarType.BFloat16);
        Assert.True(full < Math.Log(trained.Vocabulary.Size) - 0.3, $"the fixture's model did not learn: {full}");
        Assert.True(Math.Abs(half - full) < 0.01, $"float32 {full:0.0000}, bfloat16 {half:0.0000} nats/char");
    }

    [Fact]
    public void SampleMany_RowIIsTheSingleSampleWithSeedPlusI()
    {
        var options = new SamplingOptions { Length = 120, PrimeText = "the ", Seed = 40 };

        var batch = Sampler.SampleMany(trained.Model, trained.Vocabulary, options, 4);

        Assert.Equal(4, batch.Length);
        for (var i = 0; i < 4; i++) Assert.Equal(Sampler.Sample(trained.Model, trained.Vocabulary, options with { Seed = 40 + i }), batch[i]);
        Assert.Equal(4, batch.Distinct().Count());
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampler.SampleMany(trained.Model, trained.Vocabulary, options, 0));
    }
}
