using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>Named starting points for a sweep. A spec's own fields override the preset's.</summary>
public static class Presets
{
    public const string Quick = "quick";
    public const string Paper = "paper";
    public const string Seed = "seed";

    public static readonly IReadOnlyList<string> Names = [Quick, Paper, Seed];

    /// <param name="Axes">Extra axes the preset sweeps unless the spec gives its own axes or sets <c>hyperparameters.dropout</c>.</param>
    public sealed record Preset(string Corpus, string[] Models, int[] Layers, int[] HiddenSizes, Hyperparameters Hyperparameters, bool MatchParameters = false,
        IReadOnlyList<SweepAxis>? Axes = null, bool MatchLayers = false);

    /// <summary>
    /// The paper chose dropout per model on validation without listing the values tried (docs/paper-and-peers.md);
    /// the preset tries none, a quarter and a half in every cell, and its table (the <c>best</c> view, by validation
    /// loss) reports the value chosen for each cell.
    /// </summary>
    public static readonly IReadOnlyList<SweepAxis> PaperDropout = [new SweepAxis("dropout", [0.0, 0.25, 0.5])];

    /// <summary>
    /// What an unknown preset name is answered, wherever it was given. A long name is cut to its first 40 characters:
    /// a link's <c>?preset=</c> may carry anything, and the answer need not repeat kilobytes of it.
    /// </summary>
    public static string Unknown(string name) =>
        $"unknown preset '{(name.Length > 40 ? name[..40] + "..." : name)}' (expected one of {string.Join(", ", Names)})";

    public static Preset? Find(string name) => name switch
    {
        // A 6-cell grid that finishes in minutes on two CPU cores and still shows the paper's ordering.
        Quick => new Preset("tinyshakespeare", ["lstm", "gru", "rnn"], [1, 2], [128], new Hyperparameters
        {
            Optimizer = Optimizers.Adam, LearningRate = 3e-3, LrDecay = 0.85, LrDecayStart = 3, LrDecayEvery = 1,
            SeqLength = 64, BatchSize = 64, MaxEpochs = 8, Patience = 2, EpochChars = 600_000,
            Input = InputEncodings.Embedding, TrainFraction = 0.9, ValFraction = 0.05, TestFraction = 0.05,
        }),
        // The paper's grid and protocol: char-rnn's RMSProp 2e-3 with decay, carried state, 80/10/10 of each of the
        // 100 streams (char-rnn's loader, so validation and test come from the whole book, not its end), its
        // clipping (at 5, by value, on the gradient summed over time steps) and its uniform(-0.08, 0.08) initialisation;
        // each row is a parameter budget, the one-layer LSTM's, for every model type and number of layers (Table 1).
        Paper => new Preset("warandpeace-paper", ["lstm", "rnn", "gru"], [1, 2, 3], [64, 128, 256, 512], new Hyperparameters
        {
            Optimizer = Optimizers.RmsProp, LearningRate = 2e-3, RmspropAlpha = 0.95, LrDecay = 0.97, LrDecayStart = 10, LrDecayEvery = 1,
            GradClip = 5, GradClipMode = GradClipModes.Value, GradClipScale = GradClipScales.Sum, Init = WeightInits.Uniform, InitRange = 0.08,
            SeqLength = 100, BatchSize = 100, MaxEpochs = 50, Patience = 3,
            Input = InputEncodings.OneHot, Vocabulary = VocabularyKinds.Bytes, CarryState = true, SplitLayout = SplitLayouts.Streams, TrainFraction = 0.8, ValFraction = 0.1, TestFraction = 0.1,
        }, MatchParameters: true, Axes: PaperDropout, MatchLayers: true),
        // The PyTorch Lightning reproduction's settings (docs/paper-and-peers.md#the-seed-reproduction), stateless windows included.
        Seed => new Preset("warandpeace", ["lstm", "rnn", "gru"], [1, 2, 3], [64, 128, 256, 512], new Hyperparameters
        {
            Optimizer = Optimizers.Adam, LearningRate = 0.01, LrDecay = 0.95, LrDecayStart = 10, LrDecayEvery = 10,
            GradClip = 5, GradClipMode = GradClipModes.Norm, SeqLength = 70, BatchSize = 128, MaxEpochs = 100, Patience = 3,
            Input = InputEncodings.OneHot, CarryState = false, TrainFraction = 0.9, ValFraction = 0.05, TestFraction = 0.05,
        }),
        _ => null,
    };
}
