using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

/// <summary>char-rnn's clipping scale and initialisation, as the paper preset uses them.</summary>
public class CharRnnOptionsTests
{
    [Theory]
    [InlineData(ModelType.Lstm)]
    [InlineData(ModelType.Gru)]
    public void UniformInit_DrawsEveryParameterWithinTheRange_AndSetsTheLstmForgetBiasesToOne(ModelType model)
    {
        var hp = TestCorpus.SmallRun with { Init = "uniform", InitRange = 0.08 };
        const int hidden = 12;

        using var network = Trainer.CreateInitialModel(new CellSpec(model, 2, hidden, hp), 20, CPU);

        foreach (var (name, p) in network.named_parameters())
        {
            var values = p.detach().cpu().data<float>().ToArray();
            if (model == ModelType.Lstm && name.StartsWith("lstm.bias_ih_l", StringComparison.Ordinal))
            {
                Assert.All(values[hidden..(2 * hidden)], v => Assert.Equal(1f, v));     // forget gate (i, f, g, o)
                values = [.. values[..hidden], .. values[(2 * hidden)..]];
            }
            Assert.All(values, v => Assert.InRange(v, -0.08f, 0.08f));
            Assert.True(values.Max() - values.Min() > 0.1f, $"{name} should spread over the range, not sit at one value");
        }
    }

    [Fact]
    public void GradClipScaleSum_StepsOnTheGradientSummedOverTimeSteps_SeqLengthTimesTheMeans()
    {
        // One batch per epoch, no clipping: the recorded norm is the gradient's before any step.
        var hp = TestCorpus.SmallRun with { GradClip = 0, EpochChars = TestCorpus.SmallRun.BatchSize * TestCorpus.SmallRun.SeqLength };
        var splits = TestCorpus.Splits(hp);
        var cell = new CellSpec(ModelType.Lstm, 1, 16, hp);
        using var mean = new Trainer(cell, splits, CPU);
        using var sum = new Trainer(cell with { Hyperparameters = hp with { GradClipScale = "sum" } }, splits, CPU);

        var meanEpoch = mean.RunEpoch(CancellationToken.None);
        var sumEpoch = sum.RunEpoch(CancellationToken.None);

        Assert.Equal(meanEpoch.TrainLoss, sumEpoch.TrainLoss, 6);                 // the reported loss is the mean in both
        Assert.Equal(hp.SeqLength, sumEpoch.GradNorm / meanEpoch.GradNorm, 3);
    }

    /// <summary>
    /// The recorded gradient norm is the norm before clipping, whichever way the Trainer clips: with a limit that cuts
    /// every gradient (by norm or by value) one batch records what the unclipped batch records.
    /// </summary>
    [Fact]
    public void RecordedGradientNorm_IsTheNormBeforeClipping_InEveryClipMode()
    {
        var hp = TestCorpus.SmallRun with { GradClip = 0, EpochChars = TestCorpus.SmallRun.BatchSize * TestCorpus.SmallRun.SeqLength };
        var splits = TestCorpus.Splits(hp);
        double NormOf(Hyperparameters h)
        {
            using var trainer = new Trainer(new CellSpec(ModelType.Lstm, 2, 16, h), splits, CPU);
            return trainer.RunEpoch(CancellationToken.None).GradNorm;
        }

        var unclipped = NormOf(hp);
        var byNorm = NormOf(hp with { GradClip = 1e-3, GradClipMode = "norm" });
        var byValue = NormOf(hp with { GradClip = 1e-6, GradClipMode = "value" });

        Assert.True(unclipped > 1e-2, $"the norm {unclipped} is too small for the limits to cut it");
        Assert.Equal(1.0, byNorm / unclipped, 5);
        Assert.Equal(1.0, byValue / unclipped, 5);
    }
}
