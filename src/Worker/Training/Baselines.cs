using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Training;

/// <summary>Reference losses that need no model.</summary>
public static class Baselines
{
    /// <summary>
    /// Cross-entropy (nats per character) of predicting <paramref name="eval"/> with <paramref name="train"/>'s
    /// add-one-smoothed symbol frequencies. A run whose best validation loss is not below this learned nothing
    /// beyond symbol frequencies.
    /// </summary>
    public static double UnigramEntropy(EncodedText train, EncodedText eval, int vocabularySize)
    {
        var counts = new long[vocabularySize];
        for (long i = 0; i < train.Length; i++) counts[train[i]]++;
        var total = (double)train.Length + vocabularySize;
        double sum = 0;
        for (long i = 0; i < eval.Length; i++) sum -= Math.Log((counts[eval[i]] + 1) / total);
        return sum / eval.Length;
    }
}
