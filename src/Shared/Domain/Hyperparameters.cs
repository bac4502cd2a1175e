using System.Text.Json.Serialization;

namespace RnnSweep.Shared.Domain;

/// <summary>
/// The one hyperparameter record of a run: validated once at submission, stored with the run
/// (<c>runs.hyperparameters</c>) and inside every checkpoint, so a checkpoint alone says how to resume.
/// Defaults follow char-rnn, the paper's own code (see docs/paper-and-peers.md#char-rnn-the-papers-code).
/// </summary>
public sealed record Hyperparameters
{
    /// <summary><c>adam</c> or <c>rmsprop</c> (the paper's).</summary>
    public string Optimizer { get; init; } = Optimizers.Adam;
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
    public string GradClipMode { get; init; } = GradClipModes.Norm;
    /// <summary>
    /// Which gradient is clipped and stepped on: <c>mean</c>, of the loss averaged over the batch's B x T symbols
    /// (PyTorch's usual); <c>sum</c>, of the loss summed over the T time steps and averaged over the B streams, as
    /// char-rnn's train.lua computes it (it never divides by seq_length), so a clip of 5 there is about T times
    /// tighter than on the mean. The reported loss is the mean either way.
    /// </summary>
    public string GradClipScale { get; init; } = GradClipScales.Mean;
    /// <summary>
    /// Initial weights: <c>pytorch</c> (each module's default, e.g. uniform(-1/sqrt(H), 1/sqrt(H)) for the
    /// recurrent layers) or <c>uniform</c>, char-rnn's: every parameter uniform(-initRange, initRange), then the LSTM's
    /// forget-gate biases of the input-to-hidden product set to 1.
    /// </summary>
    public string Init { get; init; } = WeightInits.PyTorch;
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
    public string Input { get; init; } = InputEncodings.OneHot;
    /// <summary><c>chars</c> (Unicode characters) or <c>bytes</c> (UTF-8 bytes, as char-rnn's Lua loader).</summary>
    public string Vocabulary { get; init; } = VocabularyKinds.Chars;

    public int MaxEpochs { get; init; } = 50;
    public const int MaxEpochsLimit = 100_000;
    /// <summary>Upper bound of <see cref="EpochChars"/>: ten passes over the largest corpus accepted by default (1 GiB).</summary>
    public const long EpochCharsLimit = 10_000_000_000;
    /// <summary>Upper bound of <see cref="DivergenceFactor"/> and <see cref="MinImprovement"/>'s scale (losses are nats per character).</summary>
    public const double LossScaleLimit = 1000;
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
    public string SplitLayout { get; init; } = SplitLayouts.Contiguous;
    public double TrainFraction { get; init; } = 0.9;
    public double ValFraction { get; init; } = 0.05;
    public double TestFraction { get; init; } = 0.05;

    public long Seed { get; init; } = 42;

    /// <summary>
    /// The training step's number format: <c>float32</c> (absent means float32) or <c>bfloat16</c> (see
    /// <see cref="Precisions"/>). Absent from the stored JSON when not set, so stored sweeps keep their identity.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Precision { get; init; }

    [JsonIgnore]
    public bool IsBFloat16 => Precision == Precisions.BFloat16;

    [JsonIgnore]
    public bool IsOneHot => Input == InputEncodings.OneHot;

    public IReadOnlyList<FieldError> Validate(string prefix = "hyperparameters")
    {
        var errors = new List<FieldError>();
        void Check(bool ok, string field, string message)
        {
            if (!ok) errors.Add(new FieldError($"{prefix}.{field}", message));
        }

        Check(Optimizers.All.Contains(Optimizer), "optimizer", $"must be {ClosedSet.OneOf(Optimizers.All)}, not '{Optimizer}'");
        Check(double.IsFinite(LearningRate) && LearningRate > 0 && LearningRate <= 10, "learningRate", $"must be in (0, 10], not {LearningRate}");
        // Every comparison below is false for NaN; infinity is refused by the upper bounds or by IsFinite.
        Check(RmspropAlpha > 0 && RmspropAlpha < 1, "rmspropAlpha", $"must be in (0, 1), not {RmspropAlpha}");
        Check(LrDecay > 0 && LrDecay <= 1, "lrDecay", $"must be in (0, 1], not {LrDecay}");
        Check(LrDecayStart is >= 1 and <= MaxEpochsLimit, "lrDecayStart", $"must be between 1 and {MaxEpochsLimit}, not {LrDecayStart}");
        Check(LrDecayEvery is >= 1 and <= MaxEpochsLimit, "lrDecayEvery", $"must be between 1 and {MaxEpochsLimit}, not {LrDecayEvery}");
        Check(double.IsFinite(GradClip) && GradClip is >= 0 and <= 1e6, "gradClip", $"must be 0 (off) or positive, at most 1000000, not {GradClip}");
        Check(GradClipModes.All.Contains(GradClipMode), "gradClipMode", $"must be {ClosedSet.OneOf(GradClipModes.All)}, not '{GradClipMode}'");
        Check(GradClipScales.All.Contains(GradClipScale), "gradClipScale", $"must be {ClosedSet.OneOf(GradClipScales.All)}, not '{GradClipScale}'");
        Check(WeightInits.All.Contains(Init), "init", $"must be {ClosedSet.OneOf(WeightInits.All)}, not '{Init}'");
        Check(double.IsFinite(InitRange) && InitRange > 0 && InitRange <= 1, "initRange", $"must be in (0, 1], not {InitRange}");
        Check(Dropout >= 0 && Dropout < 1, "dropout", $"must be in [0, 1), not {Dropout}");
        Check(SeqLength is >= 1 and <= 10_000, "seqLength", $"must be between 1 and 10000, not {SeqLength}");
        Check(BatchSize is >= 1 and <= 65_536, "batchSize", $"must be between 1 and 65536, not {BatchSize}");
        Check(InputEncodings.All.Contains(Input), "input", $"must be {ClosedSet.OneOf(InputEncodings.All)}, not '{Input}'");
        Check(VocabularyKinds.All.Contains(Vocabulary), "vocabulary", $"must be {ClosedSet.OneOf(VocabularyKinds.All)}, not '{Vocabulary}'");
        Check(MaxEpochs is >= 1 and <= MaxEpochsLimit, "maxEpochs", $"must be between 1 and {MaxEpochsLimit}, not {MaxEpochs}");
        Check(EpochChars is null or (> 0 and <= EpochCharsLimit), "epochChars", $"must be between 1 and {EpochCharsLimit} or absent, not {EpochChars}");
        Check(Patience is >= 1 and <= MaxEpochsLimit, "patience", $"must be between 1 and {MaxEpochsLimit}, not {Patience}");
        Check(double.IsFinite(MinImprovement) && MinImprovement is >= 0 and <= LossScaleLimit, "minImprovement", $"must be a number between 0 and {LossScaleLimit}, not {MinImprovement}");
        Check(double.IsFinite(DivergenceFactor) && DivergenceFactor is > 1 and <= LossScaleLimit, "divergenceFactor", $"must be a number above 1, at most {LossScaleLimit}, not {DivergenceFactor}");
        Check(DivergenceRetries is >= 0 and <= 10, "divergenceRetries", $"must be between 0 and 10, not {DivergenceRetries}");
        Check(SplitLayouts.All.Contains(SplitLayout), "splitLayout", $"must be {ClosedSet.OneOf(SplitLayouts.All)}, not '{SplitLayout}'");
        Check(TrainFraction > 0 && TrainFraction < 1, "trainFraction", $"must be in (0, 1), not {TrainFraction}");
        Check(ValFraction > 0 && ValFraction < 1, "valFraction", $"must be in (0, 1), not {ValFraction}");
        Check(TestFraction > 0 && TestFraction < 1, "testFraction", $"must be in (0, 1), not {TestFraction}");
        Check(Math.Abs(TrainFraction + ValFraction + TestFraction - 1) < 1e-9, "trainFraction",
            $"trainFraction + valFraction + testFraction must be 1, not {TrainFraction + ValFraction + TestFraction}");
        Check(Precision is null || Precisions.All.Contains(Precision), "precision", $"must be {ClosedSet.OneOf(Precisions.All)}, not '{Precision}'");
        Check(Seed >= 0, "seed", $"must be 0 or more, not {Seed}");
        return errors;
    }
}
