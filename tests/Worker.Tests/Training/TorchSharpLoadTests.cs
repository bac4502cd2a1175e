using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

public class TorchSharpLoadTests
{
    // Guards the ELF fix (src/Worker/build/TorchSharpElfFix.targets): without it the first torch call throws
    // TypeInitializationException on Debian 12.
    [Fact]
    public void LstmStep_ChangesWeightsAndLowersLoss_WhenRepeatedOnOneBatch()
    {
        manual_seed(1);
        using var model = new CharRnn(ModelType.Lstm, layers: 1, hidden: 16, vocabularySize: 10, oneHot: true, dropoutRate: 0);
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var x = arange(0, 20, dtype: ScalarType.Int64).remainder(10).reshape(2, 10);   // (B, T)
        using var y = x.add(1).remainder(10);                                              // (B, T)
        var before = model.parameters().First().detach().clone();

        float Step()
        {
            using var scope = NewDisposeScope();
            using var state = model.ZeroState(2, CPU);
            var (logits, next) = model.Forward(x, state);                                   // (B, T, V)
            var loss = nn.functional.cross_entropy(logits.reshape(-1, 10), y.reshape(-1));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            return loss.item<float>();
        }

        var first = Step();
        float last = first;
        for (var i = 0; i < 20; i++) last = Step();

        using var after = model.parameters().First().detach();
        Assert.True(before.sub(after).abs().max().item<float>() > 0, "training steps must change the weights");
        Assert.True(last < first * 0.8, $"loss should fall on a repeated batch: first {first}, last {last}");
        before.Dispose();
    }
}
