using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

public class CharRnnTests
{
    // PyTorch's count, written out independently of the model code: per layer gates x H x (in + H) weights
    // plus two bias vectors of gates x H, then the output layer H x V + V.
    [Theory]
    [InlineData(ModelType.Lstm, 4)]
    [InlineData(ModelType.Gru, 3)]
    [InlineData(ModelType.Rnn, 1)]
    public void ParameterCount_MatchesPyTorchsFormula_WhenInputIsOneHot(ModelType model, int gates)
    {
        var hp = TestCorpus.SmallRun;
        var splits = TestCorpus.Splits(hp);
        const int layers = 3, hidden = 12;
        var v = splits.VocabularySize;
        long expected = gates * hidden * (v + hidden) + 2 * gates * hidden
            + (layers - 1) * (gates * hidden * (hidden + hidden) + 2 * gates * hidden)
            + hidden * v + v;

        using var trainer = new Trainer(new CellSpec(model, layers, hidden, hp), splits, CPU);

        Assert.Equal(expected, trainer.ParameterCount);
        Assert.Equal(expected, CharRnn.ExpectedParameterCount(model, layers, hidden, v));
    }

    [Fact]
    public void ParameterCount_AddsTheVocabularySquared_WhenInputIsEmbedding()
    {
        var hp = TestCorpus.SmallRun with { Input = "embedding" };
        var splits = TestCorpus.Splits(hp);
        var v = splits.VocabularySize;

        using var trainer = new Trainer(new CellSpec(ModelType.Lstm, 2, 12, hp), splits, CPU);

        Assert.Equal(CharRnn.ExpectedParameterCount(ModelType.Lstm, 2, 12, v) + (long)v * v, trainer.ParameterCount);
    }
}
