using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

/// <summary>
/// The fused LSTM that training runs, against PyTorch's LSTM equations evaluated by hand in float64. On AVX-512
/// CPUs libtorch's default oneDNN kernel fails this by about 0.1 (see <see cref="LstmKernel"/>).
/// </summary>
public class FusedLstmTests
{
    private const double Tolerance = 1e-5;

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    public void Forward_MatchesLstmEquationsInFloat64_WhenComputedByHand(int layers, bool training)
    {
        var (text, v) = TestCorpus.Generate(2000);
        manual_seed(21);
        using var model = new CharRnn(ModelType.Lstm, layers, 12, v, oneHot: true, dropoutRate: 0);
        model.train(training);                                                    // training: autograd records
        using var grad = set_grad_enabled(training);
        const int streams = 5, steps = 40;
        var length = (text.Length - 1) / streams;
        var symbols = new long[streams * steps];
        for (var b = 0; b < streams; b++) text.CopyTo(b * length, symbols.AsSpan(b * steps, steps));
        using var x = tensor(symbols, [streams, steps]);

        using var zero = model.ZeroState(streams, CPU);
        var (logits, state) = model.Forward(x, zero);
        var (expectedLogits, expectedH, expectedC) = ByHand(model, x, v);

        Assert.True(MaxDiff(logits, expectedLogits) < Tolerance, $"logits differ by {MaxDiff(logits, expectedLogits)}");
        Assert.True(MaxDiff(state.H, expectedH) < Tolerance, $"h_n differs by {MaxDiff(state.H, expectedH)}");
        Assert.True(MaxDiff(state.C!, expectedC) < Tolerance, $"c_n differs by {MaxDiff(state.C!, expectedC)}");
    }

    [Fact]
    public void OneDnn_IsOff_WhenACharRnnExists()
    {
        using var model = new CharRnn(ModelType.Lstm, 1, 4, 5, oneHot: true, dropoutRate: 0);

        Assert.False(LstmKernel.OneDnnEnabled);
    }

    /// <summary>
    /// PyTorch's LSTM, gate order i, f, g, o: c' = f c + i g, h' = o tanh(c'), in float64 from zero state.
    /// Returns logits (B, T, V), h_n and c_n (L, B, H).
    /// </summary>
    internal static (Tensor Logits, Tensor H, Tensor C) ByHand(CharRnn model, Tensor x, int v)
    {
        using var noGrad = no_grad();
        var p = model.named_parameters().ToDictionary(q => q.name, q => q.parameter.detach().to_type(ScalarType.Float64));
        var input = nn.functional.one_hot(x, v).to_type(ScalarType.Float64);   // (B, T, V)
        var (lastH, lastC) = (new List<Tensor>(), new List<Tensor>());
        for (var l = 0; p.ContainsKey($"lstm.weight_ih_l{l}"); l++)
        {
            var (wih, whh) = (p[$"lstm.weight_ih_l{l}"], p[$"lstm.weight_hh_l{l}"]);
            var bias = p[$"lstm.bias_ih_l{l}"] + p[$"lstm.bias_hh_l{l}"];
            var hidden = whh.shape[1];
            var h = zeros(x.shape[0], hidden, dtype: ScalarType.Float64);
            var c = zeros_like(h);
            var outputs = new List<Tensor>();
            for (long t = 0; t < x.shape[1]; t++)
            {
                var pre = matmul(input.select(1, t), wih.t()) + matmul(h, whh.t()) + bias; // (B, 4 H)
                var i = pre.narrow(1, 0, hidden).sigmoid();
                var f = pre.narrow(1, hidden, hidden).sigmoid();
                var g = pre.narrow(1, 2 * hidden, hidden).tanh();
                var o = pre.narrow(1, 3 * hidden, hidden).sigmoid();
                c = f * c + i * g;
                h = o * c.tanh();
                outputs.Add(h);
            }
            input = stack(outputs, 1);                                              // (B, T, H)
            lastH.Add(h);
            lastC.Add(c);
        }
        var logits = matmul(input, p["head.weight"].t()) + p["head.bias"];
        return (logits, stack(lastH), stack(lastC));
    }

    private static double MaxDiff(Tensor actual, Tensor expected) =>
        actual.detach().to_type(ScalarType.Float64).sub(expected).abs().max().item<double>();
}
