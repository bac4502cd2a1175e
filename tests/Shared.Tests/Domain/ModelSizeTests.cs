using RnnSweep.Shared.Domain;

namespace RnnSweep.Shared.Tests.Domain;

/// <summary>Parameter counts as PyTorch counts them, and the paper's matching of sizes across model types.</summary>
public sealed class ModelSizeTests
{
    [Theory]
    // LSTM, 1 layer, H=2, V=3: 4*2*(3+2) + 2*4*2 = 56 recurrent, 2*3 + 3 = 9 output.
    [InlineData(ModelType.Lstm, 1, 2, 3, true, 65L)]
    // GRU, 2 layers, H=4, V=5: 3*4*(5+4) + 24 = 132; 3*4*(4+4) + 24 = 120; 4*5 + 5 = 25.
    [InlineData(ModelType.Gru, 2, 4, 5, true, 277L)]
    // Vanilla RNN with an embedding input: 5*5 table + 1*4*(5+4) + 8 + 25.
    [InlineData(ModelType.Rnn, 1, 4, 5, false, 94L)]
    public void Parameters_CountsAsPyTorch(ModelType model, int layers, int hidden, int vocabulary, bool oneHot, long expected)
    {
        Assert.Equal(expected, ModelSize.Parameters(model, layers, hidden, vocabulary, oneHot));
    }

    [Theory]
    [InlineData(ModelType.Gru, 1, 64, 65)]
    [InlineData(ModelType.Rnn, 2, 128, 84)]
    [InlineData(ModelType.Gru, 3, 512, 205)]
    public void MatchHidden_GivesTheClosestCount_ToTheLstms(ModelType model, int layers, int lstmHidden, int vocabulary)
    {
        var target = ModelSize.Parameters(ModelType.Lstm, layers, lstmHidden, vocabulary);
        var hidden = ModelSize.MatchHidden(model, layers, lstmHidden, vocabulary);

        Assert.True(hidden > lstmHidden, $"a {model} needs more units than an LSTM for as many parameters, not {hidden}");
        var gap = Math.Abs(ModelSize.Parameters(model, layers, hidden, vocabulary) - target);
        Assert.True(gap <= Math.Abs(ModelSize.Parameters(model, layers, hidden - 1, vocabulary) - target), "one unit fewer is closer");
        Assert.True(gap <= Math.Abs(ModelSize.Parameters(model, layers, hidden + 1, vocabulary) - target), "one unit more is closer");
    }

    [Fact]
    public void MatchHidden_OfAnLstm_IsItsOwnSize()
    {
        Assert.Equal(97, ModelSize.MatchHidden(ModelType.Lstm, 2, 97, 65));
    }
}
