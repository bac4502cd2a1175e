using System.Text.Json.Serialization;

namespace RnnSweep.Shared.Domain;

/// <summary>
/// The one hyperparameter record of a run: validated once at submission, stored with the run
/// (<c>runs.hyperparameters</c>) and inside every checkpoint, so a checkpoint alone says how to resume.
/// Defaults follow char-rnn, the paper's own code (see docs/paper-and-peers.md).
/// </summary>
public sealed record Hyperparameters
{
    /// <summary><c>adam</c> or <c>rmsprop</c> (the paper's).</summary>
    public string Optimizer { get; init; } = "adam";
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>RMSProp's moving-average decay (char-rnn's <c>decay_rate</c>).</summary>
    public double RmspropAlpha { get; init; } = 0.95;
    /// <summary>Multiply the learning rate by this factor ...</summary>
    public double LrDecay { get; init; } = 0.97;
    /// <summary>... at the end of every epoch from this one on ...</summary>
    public int LrDecayStart { get; init; } = 10;
    /// <summary>... every this many epochs.</summary>
    public int LrDecayEvery { get; init; } = 1;

    /// <summary>Gradient clipping threshold; 0 turns clipping off.</summary>
    public double GradClip { get; init; } = 5;
    /// <summary><c>norm</c> (total L2 norm) or <c>value</c> (each element, as char-rnn).</summary>
    public string GradClipMode { get; init; } = "norm";
    /// <summary>
    /// Which gradient is clipped and stepped on: <c>mean</c>, of the loss averaged over the batch's B x T symbols
    /// (PyTorch's usual); <c>sum</c>, of the loss summed over the T time steps and averaged over the B streams, as
    /// char-rnn's train.lua computes it (it never divides by seq_length), so a clip of 5 there is about T times
    /// tighter than on the mean. The reported loss is the mean either way.
    /// </summary>
    public string GradClipScale { get; init; } = "mean";
    /// <summary>
    /// Initial weights: <c>pytorch</c> (each module's default, e.g. uniform(-1/sqrt(H), 1/sqrt(H)) for the
    /// recurrent layers) or <c>uniform</c>, char-rnn's: every parameter uniform(-initRange, initRange), then the LSTM's
    /// forget-gate biases of the input-to-hidden product set to 1.
    /// </summary>
    public string Init { get; init; } = "pytorch";
    /// <summary>The bound of <c>uniform</c> initialisation (char-rnn: 0.08).</summary>
    public double InitRange { get; init; } = 0.08;
    /// <summary>Dropout between stacked layers and before the output layer.</summary>
    public double Dropout { get; init; }

    public int SeqLength { get; init; } = 50;
    public int BatchSize { get; init; } = 50;
    /// <summary>
    /// true: truncated BPTT with the hidden state carried across batches, the corpus cut into
    /// <see cref="BatchSize"/> parallel streams (char-rnn and the paper). false: stateless windows (the seed).
    /// </summary>
    public bool CarryState { get; init; } = true;
    /// <summary><c>onehot</c> (the paper) or <c>embedding</c> (same first layer, cheaper lookup).</summary>
    public string Input { get; init; } = "onehot";
    /// <summary><c>chars</c> (Unicode characters) or <c>bytes</c> (UTF-8 bytes, as char-rnn's Lua loader).</summary>
    public string Vocabulary { get; init; } = "chars";

    public int MaxEpochs { get; init; } = 50;
    public const int MaxEpochsLimit = 100_000;
    /// <summary>Train on at most this many characters per epoch (null: the whole train split).</summary>
    public long? EpochChars { get; init; }
    /// <summary>Stop after this many epochs without a validation improvement of at least <see cref="MinImprovement"/>.</summary>
    public int Patience { get; init; } = 3;
    public double MinImprovement { get; init; }
    /// <summary>A loss above this multiple of the first batch's loss counts as divergence (char-rnn uses 3).</summary>
    public double DivergenceFactor { get; init; } = 3;
    /// <summary>How many times a diverged run starts again with its learning rate halved.</summary>
    public int DivergenceRetries { get; init; }

    /// <summary>
    /// <c>contiguous</c>: train, validation and test are the first, middle and last part of the corpus.
    /// <c>streams</c> (char-rnn's loader, so the paper's): the corpus is first cut into <see cref="BatchSize"/>
    /// equal streams and each stream is split by the fractions, so validation and test are drawn from the whole
    /// corpus, in batchSize pieces, rather than from its end.
    /// </summary>
    public string SplitLayout { get; init; } = "contiguous";
    public double TrainFraction { get; init; } = 0.9;
    public double ValFraction { get; init; } = 0.05;
    public double TestFraction { get; init; } = 0.05;

    public long Seed { get; init; } = 42;

    [JsonIgnore]
    public bool IsOneHot => Input == "onehot";

    public IReadOnlyList<FieldError> Validate(string prefix = "hyperparameters")
    {
        var errors = new List<FieldError>();
        void Check(bool ok, string field, string message)
        {
            if (!ok) errors.Add(new FieldError($"{prefix}.{field}", message));
        }

        Check(Optimizer is "adam" or "rmsprop", "optimizer", $"must be 'adam' or 'rmsprop', not '{Optimizer}'");
        Check(double.IsFinite(LearningRate) && LearningRate > 0 && LearningRate <= 10, "learningRate", $"must be in (0, 10], not {LearningRate}");
        Check(RmspropAlpha > 0 && RmspropAlpha < 1, "rmspropAlpha", $"must be in (0, 1), not {RmspropAlpha}");
        Check(LrDecay > 0 && LrDecay <= 1, "lrDecay", $"must be in (0, 1], not {LrDecay}");
        Check(LrDecayStart >= 1, "lrDecayStart", $"must be at least 1, not {LrDecayStart}");
        Check(LrDecayEvery >= 1, "lrDecayEvery", $"must be at least 1, not {LrDecayEvery}");
        Check(double.IsFinite(GradClip) && GradClip >= 0, "gradClip", $"must be 0 (off) or positive, not {GradClip}");
        Check(GradClipMode is "norm" or "value", "gradClipMode", $"must be 'norm' or 'value', not '{GradClipMode}'");
        Check(GradClipScale is "mean" or "sum", "gradClipScale", $"must be 'mean' or 'sum', not '{GradClipScale}'");
        Check(Init is "pytorch" or "uniform", "init", $"must be 'pytorch' or 'uniform', not '{Init}'");
        Check(double.IsFinite(InitRange) && InitRange > 0 && InitRange <= 1, "initRange", $"must be in (0, 1], not {InitRange}");
        Check(Dropout >= 0 && Dropout < 1, "dropout", $"must be in [0, 1), not {Dropout}");
        Check(SeqLength is >= 1 and <= 10_000, "seqLength", $"must be between 1 and 10000, not {SeqLength}");
        Check(BatchSize is >= 1 and <= 65_536, "batchSize", $"must be between 1 and 65536, not {BatchSize}");
        Check(Input is "onehot" or "embedding", "input", $"must be 'onehot' or 'embedding', not '{Input}'");
        Check(Vocabulary is "chars" or "bytes", "vocabulary", $"must be 'chars' or 'bytes', not '{Vocabulary}'");
        Check(MaxEpochs is >= 1 and <= MaxEpochsLimit, "maxEpochs", $"must be between 1 and {MaxEpochsLimit}, not {MaxEpochs}");
        Check(EpochChars is null or > 0, "epochChars", $"must be positive or absent, not {EpochChars}");
        Check(Patience >= 1, "patience", $"must be at least 1, not {Patience}");
        Check(MinImprovement >= 0, "minImprovement", $"must not be negative, not {MinImprovement}");
        Check(DivergenceFactor > 1, "divergenceFactor", $"must be above 1, not {DivergenceFactor}");
        Check(DivergenceRetries is >= 0 and <= 10, "divergenceRetries", $"must be between 0 and 10, not {DivergenceRetries}");
        Check(SplitLayout is "contiguous" or "streams", "splitLayout", $"must be 'contiguous' or 'streams', not '{SplitLayout}'");
        Check(TrainFraction > 0 && TrainFraction < 1, "trainFraction", $"must be in (0, 1), not {TrainFraction}");
        Check(ValFraction > 0 && ValFraction < 1, "valFraction", $"must be in (0, 1), not {ValFraction}");
        Check(TestFraction > 0 && TestFraction < 1, "testFraction", $"must be in (0, 1), not {TestFraction}");
        Check(Math.Abs(TrainFraction + ValFraction + TestFraction - 1) < 1e-9, "trainFraction",
            $"trainFraction + valFraction + testFraction must be 1, not {TrainFraction + ValFraction + TestFraction}");
        Check(Seed >= 0, "seed", $"must not be negative, not {Seed}");
        return errors;
    }
}
