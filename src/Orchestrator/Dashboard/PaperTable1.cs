namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// Test cross-entropy (nats per byte of the CRLF file) on War and Peace from Table 1 of Karpathy, Johnson, Fei-Fei,
/// "Visualizing and Understanding Recurrent Networks" (arXiv:1506.02078). Transcribed by hand from the paper;
/// rows are labelled by the one-layer LSTM's hidden size 64, 128, 256, 512, and each is a parameter budget: every model
/// type and number of layers of a row has about that LSTM's parameter count.
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

    /// <summary>The paper's 20-gram on War and Peace (nats per byte).</summary>
    public const double TwentyGram = 1.195;
    /// <summary>The paper's best War and Peace model (nats per byte).</summary>
    public const double BestModel = 1.077;
    /// <summary>The corpus the paper's numbers are per byte of: <c>warandpeace-paper</c>, checked by content.</summary>
    public const string CorpusSha256 = "fb66ba999dafe24017cdd59e04c56d385a9c8466993d374fd4c6f08b2142985e";

    /// <summary>
    /// Whether a sweep's numbers compare with the paper's: the paper's file byte for byte (other War and Peace files
    /// differ in line ends, so per-byte losses differ by about 2 %) read with the paper's protocol as the
    /// <c>paper</c> preset sets it: bytes, char-rnn's split (100 streams, 80/10/10 of each) and rows of
    /// parameter budgets (every model type and number of layers of a row has about as many parameters as its one-layer
    /// LSTM). Training choices (optimizer, epochs, dropout) may differ: they are what "ours" is.
    /// </summary>
    public static bool AppliesTo(string corpusSha256, Sweeps.ResolvedSweep sweep) =>
        string.Equals(corpusSha256, CorpusSha256, StringComparison.OrdinalIgnoreCase)
        && sweep.Hyperparameters is { Vocabulary: "bytes", SplitLayout: "streams", BatchSize: 100, TrainFraction: 0.8, ValFraction: 0.1 }
        && Math.Abs(sweep.Hyperparameters.TestFraction - 0.1) < 1e-9 && sweep is { MatchParameters: true, MatchLayers: true };

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
