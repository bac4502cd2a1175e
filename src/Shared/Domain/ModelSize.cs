namespace RnnSweep.Shared.Domain;

/// <summary>Parameter counts of the character model, and the paper's matching of counts across model types.</summary>
public static class ModelSize
{
    public static int Gates(ModelType model) => model switch { ModelType.Lstm => 4, ModelType.Gru => 3, _ => 1 };

    /// <summary>
    /// PyTorch's count: per layer G x H x (in + H) + 2 x G x H (two bias vectors), then the H x V + V output layer;
    /// an embedding input adds its V x V table.
    /// </summary>
    public static long Parameters(ModelType model, int layers, int hidden, int vocabularySize, bool oneHot = true)
    {
        long g = Gates(model), h = hidden, v = vocabularySize, total = oneHot ? 0 : v * v;
        for (var l = 0; l < layers; l++)
        {
            var input = l == 0 ? v : h;
            total += g * h * (input + h) + 2 * g * h;
        }
        return total + h * v + v;
    }

    /// <summary>
    /// The hidden size at which <paramref name="model"/> with <paramref name="layers"/> layers has the parameter count
    /// closest to the row's budget (the paper's rows compare models of nearly equal size). The budget is an LSTM of
    /// <paramref name="lstmHidden"/> units with as many layers (<paramref name="acrossLayers"/> false), or with one
    /// layer (true: every depth of a row has the one-layer LSTM's count, as the paper's Table 1 does).
    /// </summary>
    public static int MatchHidden(ModelType model, int layers, int lstmHidden, int vocabularySize, bool oneHot = true, bool acrossLayers = false)
    {
        var budgetLayers = acrossLayers ? 1 : layers;
        if (model == ModelType.Lstm && layers == budgetLayers) return lstmHidden;
        var target = Parameters(ModelType.Lstm, budgetLayers, lstmHidden, vocabularySize, oneHot);
        // Enough: an RNN (one gate against the LSTM's four) needs at most 3x the LSTM's units for its count, at any
        // vocabulary and depth; a GRU fewer, and a deeper model fewer still.
        int lo = 1, hi = lstmHidden * 4;
        while (lo < hi) // smallest hidden whose count reaches the target
        {
            var mid = (lo + hi) / 2;
            if (Parameters(model, layers, mid, vocabularySize, oneHot) < target) lo = mid + 1; else hi = mid;
        }
        var below = Math.Max(1, lo - 1);
        return Math.Abs(Parameters(model, layers, below, vocabularySize, oneHot) - target) <= Math.Abs(Parameters(model, layers, lo, vocabularySize, oneHot) - target) ? below : lo;
    }
}
