using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Bench;

/// <summary>The FLOP count the bench uses: 6 x the forward multiply-adds per character (forward 2, backward 4).</summary>
public static class ModelCost
{
    /// <summary>Per layer gates x H x (in + H) (LSTM 4, GRU 3, RNN 1; in = V for the first layer), plus the output layer H x V.</summary>
    public static double MultiplyAddsPerChar(ModelType model, int layers, int hidden, int vocabularySize)
    {
        var gates = model switch { ModelType.Lstm => 4, ModelType.Gru => 3, _ => 1 };
        double total = (double)hidden * vocabularySize;
        for (var l = 0; l < layers; l++) total += (double)gates * hidden * ((l == 0 ? vocabularySize : hidden) + hidden);
        return total;
    }

    public static double FlopsPerChar(ModelType model, int layers, int hidden, int vocabularySize) =>
        6 * MultiplyAddsPerChar(model, layers, hidden, vocabularySize);
}
