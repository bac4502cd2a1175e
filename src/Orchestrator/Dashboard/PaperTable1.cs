namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// Test cross-entropy (nats per character) on War and Peace from Table 1 of Karpathy, Johnson, Fei-Fei,
/// "Visualizing and Understanding Recurrent Networks" (arXiv:1506.02078). Transcribed by hand from the paper;
/// rows are the LSTM hidden sizes 64, 128, 256, 512 (the paper matches parameter counts across models in a row).
/// </summary>
public static class PaperTable1
{
    public static readonly IReadOnlyList<int> Sizes = [64, 128, 256, 512];

    /// <summary>(model, layers) -> test loss per row of <see cref="Sizes"/>, in the paper's column order.</summary>
    public static readonly IReadOnlyList<(string Model, int Layers, double[] TestLoss)> WarAndPeace =
    [
        ("lstm", 1, [1.449, 1.277, 1.189, 1.161]),
        ("lstm", 2, [1.442, 1.227, 1.137, 1.092]),
        ("lstm", 3, [1.540, 1.279, 1.141, 1.082]),
        ("rnn", 1, [1.446, 1.406, 1.362, 1.265]),
        ("rnn", 2, [1.401, 1.286, 1.290, 1.250]),
        ("rnn", 3, [1.396, 1.277, 1.230, 1.217]),
        ("gru", 1, [1.398, 1.230, 1.198, 1.171]),
        ("gru", 2, [1.373, 1.226, 1.164, 1.098]),
        ("gru", 3, [1.472, 1.217, 1.138, 1.095]),
    ];

    /// <summary>Our corpora named warandpeace* are the paper's text (or the same book), so the paper's numbers apply.</summary>
    public static bool AppliesTo(string corpus) => corpus.StartsWith("warandpeace", StringComparison.OrdinalIgnoreCase);

    public static double? Lookup(string model, int layers, int size)
    {
        var row = Sizes.ToList().IndexOf(size);
        if (row < 0) return null;
        foreach (var (m, l, losses) in WarAndPeace)
        {
            if (m == model && l == layers) return losses[row];
        }
        return null;
    }
}
