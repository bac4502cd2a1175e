using System.Text;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Analysis;

/// <summary>
/// The classes that share <see cref="TrainedSamplerFixture"/>: it is trained once for all of them (as a class fixture
/// it was trained again for each class).
/// </summary>
[CollectionDefinition(TrainedSamplerCollection.Name)]
public sealed class TrainedSamplerCollection : ICollectionFixture<TrainedSamplerFixture>
{
    public const string Name = "trained sampler";
}

/// <summary>One tiny LSTM trained once for all sampler tests (training is the slow part).</summary>
public sealed class TrainedSamplerFixture : IDisposable
{
    public TrainedSamplerFixture()
    {
        // Words with Zipf-like frequencies, so character frequencies are far from uniform.
        string[] words = ["the", "the", "the", "the", "and", "and", "of", "to", "a", "a", "a", "in", "was", "he", "his", "zoo", "quiz"];
        var state = 12345u;
        var sb = new StringBuilder();
        while (sb.Length < 8000)
        {
            state = state * 1664525 + 1013904223;
            sb.Append(words[(state >> 16) % (uint)words.Length]).Append((state >> 8) % 9 == 0 ? ".\n" : " ");
        }
        Text = sb.ToString(0, 8000);
        var utf8 = Encoding.UTF8.GetBytes(Text);
        Vocabulary = Vocabulary.Build(utf8, "chars");
        var hp = TestCorpus.SmallRun with { MaxEpochs = 6 };
        var splits = CorpusSplits.From(Vocabulary.Encode(utf8), Vocabulary.Size, hp);
        var cell = new CellSpec(ModelType.Lstm, 1, 32, hp);
        using var trainer = new Trainer(cell, splits, CPU);
        CheckpointData? best = null;
        while (trainer.Stop == TrainingStop.None)
        {
            if (trainer.RunEpoch(CancellationToken.None).IsBest) best = trainer.SaveCheckpoint();
        }
        Model = TrainedModel.Load(cell, Vocabulary.Size, best!, CPU);
    }

    public string Text { get; }
    public Vocabulary Vocabulary { get; }
    public CharRnn Model { get; }

    public void Dispose() => Model.Dispose();
}

[Collection(TrainedSamplerCollection.Name)]
public class SamplerTests(TrainedSamplerFixture trained)
{
    private const double Tolerance = 0.1;

    [Fact]
    public void Sample_MatchesTheCorpusCharacterFrequencies_WhenTemperatureIsOne()
    {
        var options = new SamplingOptions { Length = 5000, PrimeText = "the ", Seed = 1 };

        var text = Sampler.Sample(trained.Model, trained.Vocabulary, options);

        Assert.Equal(5000, text.Length);
        var distance = TotalVariation(Frequencies(text), Frequencies(trained.Text));
        Assert.True(distance < Tolerance, $"total variation {distance:F3}");
    }

    [Fact]
    public void Sample_IsDeterministic_WhenGreedy()
    {
        var options = new SamplingOptions { Length = 200, Method = SamplingMethod.Greedy, PrimeText = "and " };

        var first = Sampler.Sample(trained.Model, trained.Vocabulary, options);
        var second = Sampler.Sample(trained.Model, trained.Vocabulary, options with { Seed = 99, Temperature = 0.3 });

        Assert.Equal(first, second);
        Assert.Equal(first, Sampler.Sample(trained.Model, trained.Vocabulary, options with { Method = SamplingMethod.TopK, TopK = 1 }));
    }

    [Fact]
    public void Sample_GivesDifferentText_WhenSeedsDiffer()
    {
        var options = new SamplingOptions { Length = 300, PrimeText = "the " };

        var one = Sampler.Sample(trained.Model, trained.Vocabulary, options with { Seed = 1 });
        var again = Sampler.Sample(trained.Model, trained.Vocabulary, options with { Seed = 1 });
        var other = Sampler.Sample(trained.Model, trained.Vocabulary, options with { Seed = 2 });

        Assert.Equal(one, again);
        Assert.NotEqual(one, other);
    }

    [Fact]
    public void Sample_LeavesTorchsGlobalGeneratorUntouched_WhenSampling()
    {
        manual_seed(77);
        using var expected = rand(8);
        manual_seed(77);

        Sampler.Sample(trained.Model, trained.Vocabulary, new SamplingOptions { Length = 50 });

        using var drawn = rand(8);
        Assert.Equal(expected.data<float>().ToArray(), drawn.data<float>().ToArray());
    }

    [Fact]
    public void Sample_UsesOnlyTheKMostProbable_WhenTopKIsTwo()
    {
        // After "the" the corpus always has a space or a full stop (never anything else).
        var options = new SamplingOptions { Length = 1, Method = SamplingMethod.TopK, TopK = 2, PrimeText = "he was the" };

        var next = Enumerable.Range(0, 40).Select(s => Sampler.Sample(trained.Model, trained.Vocabulary, options with { Seed = s })).Distinct().ToList();

        Assert.InRange(next.Count, 1, 2);
    }

    private static Dictionary<char, double> Frequencies(string text) =>
        text.GroupBy(c => c).ToDictionary(g => g.Key, g => (double)g.Count() / text.Length);

    private static double TotalVariation(Dictionary<char, double> p, Dictionary<char, double> q) =>
        0.5 * p.Keys.Union(q.Keys).Sum(c => Math.Abs(p.GetValueOrDefault(c) - q.GetValueOrDefault(c)));
}
