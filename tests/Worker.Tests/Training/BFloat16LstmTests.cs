using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

/// <summary>
/// The fused LSTM in bfloat16 with libtorch's oneDNN switched on (the only way libtorch runs bfloat16 products fast
/// on CPU), against PyTorch's LSTM equations evaluated in float64 from the same (bfloat16) weights. oneDNN's float32
/// LSTM is wrong by about 0.1 on AVX-512 CPUs in passes without autograd (<see cref="LstmKernel"/>), so both modes are
/// checked; the tolerance is bfloat16's (8 significant bits; the logits differed by 0.0015-0.0018 here, oneDNN's float32 fault by 0.06-0.14).
/// </summary>
public class BFloat16LstmTests
{
    private const double Tolerance = 0.01;

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    public void BFloat16Forward_WithOneDnnOn_MatchesLstmEquationsInFloat64(int layers, bool training)
    {
        var (text, v) = TestCorpus.Generate(2000);
        manual_seed(21);
        using var model = new CharRnn(ModelType.Lstm, layers, 12, v, oneHot: true, dropoutRate: 0);
        model.to(ScalarType.BFloat16);
        model.train(training);
        const int streams = 5, steps = 40;
        var length = (text.Length - 1) / streams;
        var symbols = new long[streams * steps];
        for (var b = 0; b < streams; b++) text.CopyTo(b * length, symbols.AsSpan(b * steps, steps));
        using var x = tensor(symbols, [streams, steps]);

        Tensor logits;
        RecurrentState state;
        using (LstmKernel.OneDnnOn())
        {
            Assert.True(LstmKernel.OneDnnEnabled);
            using var grad = set_grad_enabled(training);
            using var zero = model.ZeroState(streams, CPU);
            (logits, state) = model.Forward(x, zero);
        }
        Assert.False(LstmKernel.OneDnnEnabled);
        var (expectedLogits, expectedH, expectedC) = FusedLstmTests.ByHand(model, x, v);

        Assert.Equal(ScalarType.BFloat16, logits.dtype);
        Assert.True(MaxDiff(logits, expectedLogits) < Tolerance, $"logits differ by {MaxDiff(logits, expectedLogits)}");
        Assert.True(MaxDiff(state.H, expectedH) < Tolerance, $"h_n differs by {MaxDiff(state.H, expectedH)}");
        Assert.True(MaxDiff(state.C!, expectedC) < Tolerance, $"c_n differs by {MaxDiff(state.C!, expectedC)}");
    }

    private static double MaxDiff(Tensor actual, Tensor expected) =>
        actual.detach().to_type(ScalarType.Float64).sub(expected).abs().max().item<double>();
}
