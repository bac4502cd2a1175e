using RnnSweep.Worker.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

/// <summary>The Trainer's norm clipping against libtorch's <c>clip_grad_norm_</c>, which it replaces.</summary>
public class GradientClipTests
{
    /// <summary>Three parameters with gradients drawn from one seed (total norm about 12) and one without.</summary>
    private static Parameter[] Parameters()
    {
        var random = new Generator(7);
        Parameter[] parameters = [.. new[] { randn([17, 5], generator: random), randn([33], generator: random), randn([4, 2, 3], generator: random), zeros(2) }
            .Select(t => new Parameter(t))];
        for (var i = 0; i < 3; i++) parameters[i].grad = randn(parameters[i].shape, generator: random);
        return parameters;
    }

    private static float[][] Gradients(Parameter[] parameters) => [.. parameters.Take(3).Select(p => p.grad!.data<float>().ToArray())];

    [Theory]
    [InlineData(1.0)]   // cuts
    [InlineData(5.0)]   // cuts
    [InlineData(1e3)]   // leaves the gradients as they are
    public void ClipByNorm_GivesLibtorchsGradientsAndNorm_ToTheBit(double max)
    {
        var ours = Parameters();
        var theirs = Parameters();
        var before = Gradients(ours);

        var norm = Trainer.ClipByNorm(ours, max);
        var expected = nn.utils.clip_grad_norm_(theirs, max);

        Assert.Equal(expected, norm);
        Assert.InRange(norm, 10.0, 14.0);                                // sqrt(142) for 142 standard normal values
        Assert.Equal(Gradients(theirs), Gradients(ours));
        var after = Math.Sqrt(Gradients(ours).SelectMany(g => g).Sum(v => (double)v * v));
        if (max < norm)
        {
            Assert.Equal(max, after, 4);                                  // rescaled to the limit
        }
        else
        {
            Assert.Equal(before, Gradients(ours));                        // untouched
        }
    }

    [Fact]
    public void ANonFiniteGradient_GivesLibtorchsGradientsAndNorm()
    {
        foreach (var bad in new[] { float.NaN, float.PositiveInfinity })
        {
            var ours = Parameters();
            var theirs = Parameters();
            foreach (var p in new[] { ours[1], theirs[1] }) p.grad![3] = bad;

            var norm = Trainer.ClipByNorm(ours, 5);
            var expected = nn.utils.clip_grad_norm_(theirs, 5);

            Assert.Equal(expected, norm);
            Assert.False(double.IsFinite(norm));
            Assert.Equal(Gradients(theirs), Gradients(ours));
        }
    }

    [Fact]
    public void ClipByNorm_WithoutGradients_IsZeroAndChangesNothing()
    {
        Parameter[] parameters = [new(zeros(3))];
        Assert.Equal(0, Trainer.ClipByNorm(parameters, 1));
        Assert.Null(parameters[0].grad);
    }
}
