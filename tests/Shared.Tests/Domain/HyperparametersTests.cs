using RnnSweep.Shared.Domain;

namespace RnnSweep.Shared.Tests.Domain;

/// <summary>The run's hyperparameter record: char-rnn's defaults are valid, and each bad value names its field.</summary>
public sealed class HyperparametersTests
{
    [Fact]
    public void TheDefaults_AreValid()
    {
        Assert.Empty(new Hyperparameters().Validate());
    }

    /// <summary>One field at a time set out of range (NaN, infinity, zero, past a limit, an unknown word).</summary>
    public static TheoryData<string, Hyperparameters> OneBadField => new()
    {
        { "optimizer", new Hyperparameters { Optimizer = "sgd" } },
        { "learningRate", new Hyperparameters { LearningRate = 0 } },
        { "learningRate", new Hyperparameters { LearningRate = double.NaN } },
        { "learningRate", new Hyperparameters { LearningRate = double.PositiveInfinity } },
        { "rmspropAlpha", new Hyperparameters { RmspropAlpha = 1 } },
        { "lrDecay", new Hyperparameters { LrDecay = 1.5 } },
        { "lrDecayStart", new Hyperparameters { LrDecayStart = 0 } },
        { "lrDecayEvery", new Hyperparameters { LrDecayEvery = Hyperparameters.MaxEpochsLimit + 1 } },
        { "gradClip", new Hyperparameters { GradClip = -1 } },
        { "gradClip", new Hyperparameters { GradClip = double.NaN } },
        { "gradClipMode", new Hyperparameters { GradClipMode = "max" } },
        { "gradClipScale", new Hyperparameters { GradClipScale = "total" } },
        { "init", new Hyperparameters { Init = "xavier" } },
        { "precision", new Hyperparameters { Precision = "float16" } },
        { "initRange", new Hyperparameters { InitRange = 0 } },
        { "dropout", new Hyperparameters { Dropout = 1 } },
        { "seqLength", new Hyperparameters { SeqLength = 0 } },
        { "batchSize", new Hyperparameters { BatchSize = 65_537 } },
        { "input", new Hyperparameters { Input = "onehots" } },
        { "vocabulary", new Hyperparameters { Vocabulary = "words" } },
        { "maxEpochs", new Hyperparameters { MaxEpochs = 0 } },
        { "epochChars", new Hyperparameters { EpochChars = 0 } },
        { "epochChars", new Hyperparameters { EpochChars = Hyperparameters.EpochCharsLimit + 1 } },
        { "patience", new Hyperparameters { Patience = 0 } },
        { "minImprovement", new Hyperparameters { MinImprovement = -0.1 } },
        { "divergenceFactor", new Hyperparameters { DivergenceFactor = 1 } },
        { "divergenceRetries", new Hyperparameters { DivergenceRetries = 11 } },
        { "splitLayout", new Hyperparameters { SplitLayout = "random" } },
        { "seed", new Hyperparameters { Seed = -1 } },
    };

    [Theory]
    [MemberData(nameof(OneBadField))]
    public void OneBadValue_IsOneErrorNamingItsField(string field, Hyperparameters hp)
    {
        var error = Assert.Single(hp.Validate());
        Assert.Equal($"hyperparameters.{field}", error.Field);
        Assert.Contains("not", error.Message, StringComparison.Ordinal); // every message says what it was given
    }

    [Theory]
    [InlineData("gradClipScale", "total")]
    [InlineData("init", "xavier")]
    [InlineData("precision", "float16")]
    public void AnUnknownOption_IsNamedWithTheWordsAccepted(string field, string value)
    {
        var (hp, accepted) = field switch
        {
            "init" => (new Hyperparameters { Init = value }, WeightInits.All),
            "precision" => (new Hyperparameters { Precision = value }, Precisions.All),
            _ => (new Hyperparameters { GradClipScale = value }, GradClipScales.All),
        };

        var error = Assert.Single(hp.Validate());
        Assert.Equal($"hyperparameters.{field}", error.Field);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
        Assert.All(accepted, word => Assert.Contains($"'{word}'", error.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void FractionsNotSummingToOne_AreRefused_AndEveryProblemIsReportedAtOnce()
    {
        var hp = new Hyperparameters { TrainFraction = 0.8, ValFraction = 0.05, TestFraction = 0.05, BatchSize = 0, Seed = -3 };

        var errors = hp.Validate("spec.hyperparameters");

        Assert.Contains(errors, e => e.Field == "spec.hyperparameters.trainFraction" && e.Message.Contains("must be 1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Field == "spec.hyperparameters.batchSize");
        Assert.Contains(errors, e => e.Field == "spec.hyperparameters.seed");
        Assert.Equal(3, errors.Count);
    }
}
