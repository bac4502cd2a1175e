using System.Text;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;

namespace RnnSweep.Worker.Tests.Support;

/// <summary>Small generated corpora: predictable enough that a tiny model learns in a few epochs.</summary>
internal static class TestCorpus
{
    private static readonly string[] Words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far"];

    /// <summary>Sentences of words chosen by a fixed linear congruential sequence; lowercase, spaces, full stops.</summary>
    public static (EncodedText Text, int VocabularySize) Generate(int characters, int seed = 7)
    {
        var sb = new StringBuilder();
        var state = (uint)seed;
        while (sb.Length < characters)
        {
            for (var w = 0; w < 6; w++)
            {
                state = state * 1664525 + 1013904223;
                sb.Append(Words[(state >> 16) % 5 + (uint)(w % 2) * 5]).Append(w < 5 ? ' ' : '.');
            }
            sb.Append(' ');
        }
        var utf8 = Encoding.UTF8.GetBytes(sb.ToString(0, characters));
        var vocabulary = Vocabulary.Build(utf8, "chars");
        return (vocabulary.Encode(utf8), vocabulary.Size);
    }

    public static Hyperparameters SmallRun => new()
    {
        Optimizer = "adam",
        LearningRate = 1e-2,
        SeqLength = 16,
        BatchSize = 8,
        TrainFraction = 0.8,
        ValFraction = 0.1,
        TestFraction = 0.1,
        MaxEpochs = 50,
        Patience = 50,
        Seed = 1234,
    };

    public static CorpusSplits Splits(Hyperparameters hp, int characters = 4000)
    {
        var (text, vocabularySize) = Generate(characters);
        return CorpusSplits.From(text, vocabularySize, hp);
    }
}
