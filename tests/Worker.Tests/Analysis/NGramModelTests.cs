using System.Text;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;

namespace RnnSweep.Worker.Tests.Analysis;

public class NGramModelTests
{
    private const string Period = "the cat sat on the mat.\n";

    private static (EncodedText Train, EncodedText Test, int VocabularySize) Periodic(int characters)
    {
        var text = new StringBuilder();
        while (text.Length < characters) text.Append(Period);
        var utf8 = Encoding.UTF8.GetBytes(text.ToString(0, characters));
        var vocabulary = Vocabulary.Build(utf8, "chars");
        var encoded = vocabulary.Encode(utf8);
        var trainLength = characters * 9 / 10;
        return (encoded.Slice(0, trainLength), encoded.Slice(trainLength, characters - trainLength), vocabulary.Size);
    }

    [Theory]
    [InlineData(NGramSmoothing.ModifiedKneserNey)]
    [InlineData(NGramSmoothing.WittenBell)]
    [InlineData(NGramSmoothing.AbsoluteDiscounting)]
    public void Run_GivesNearZeroLossAtHighOrders_WhenTextIsPeriodic(NGramSmoothing smoothing)
    {
        var (train, test, v) = Periodic(48_000);

        var report = NGramModel.Run(train, test, v, maxOrder: 12, smoothing: smoothing);

        Assert.Equal(12, report.ComputedOrder);
        Assert.Null(report.StopReason);
        Assert.Equal(Enumerable.Range(1, 12), report.Losses.Select(l => l.Order));
        // Nine symbols of context fix the position in the period; what is left is the mass reserved for unseen followers.
        Assert.All(report.Losses.Where(l => l.Order >= 10), l => Assert.InRange(l.CrossEntropy, 0, 0.01));
    }

    [Theory]
    [InlineData(NGramSmoothing.ModifiedKneserNey)]
    [InlineData(NGramSmoothing.WittenBell)]
    [InlineData(NGramSmoothing.AbsoluteDiscounting)]
    public void Run_GivesTheUnigramEntropyAtOrderOne_WhenTextIsPeriodic(NGramSmoothing smoothing)
    {
        var (train, test, v) = Periodic(48_000);
        // The period's symbol frequencies, written out: the test split is whole periods up to a partial one, so
        // its cross-entropy under the train frequencies is this entropy up to ~1e-3.
        var counts = Period.GroupBy(c => c).Select(g => (double)g.Count() / Period.Length).ToArray();
        var entropy = -counts.Sum(p => p * Math.Log(p));

        var report = NGramModel.Run(train, test, v, maxOrder: 3, smoothing: smoothing);

        Assert.Equal(entropy, report.Losses[0].CrossEntropy, 0.005);
    }

    [Fact]
    public void Run_StopsAtTheLargestOrderThatFits_WhenTheMemoryBudgetIsSmall()
    {
        // Independent random symbols: the number of distinct windows grows as 4^n until it reaches the text length.
        var random = new Random(8);
        var symbols = Enumerable.Range(0, 100_000).Select(_ => (byte)random.Next(4)).ToArray();
        var (train, test, v) = (new EncodedText(symbols.AsMemory(0, 90_000)), new EncodedText(symbols.AsMemory(90_000)), 4);
        var unlimited = NGramModel.Run(train, test, v, maxOrder: 30);

        var limited = NGramModel.Run(train, test, v, maxOrder: 30, memoryBudgetBytes: 4 << 20);

        Assert.InRange(limited.ComputedOrder, 2, 29);
        Assert.Equal(limited.ComputedOrder, limited.Losses.Count);
        Assert.NotNull(limited.StopReason);
        Assert.True(limited.EstimatedBytes <= 4 << 20);
        Assert.Equal(unlimited.Losses.Take(limited.ComputedOrder), limited.Losses);
    }

    [Theory]
    [InlineData(NGramSmoothing.WittenBell)]
    [InlineData(NGramSmoothing.AbsoluteDiscounting)]
    public void Probability_SumsToOneOverTheVocabulary_WhenContextIsSeenOrUnseen(NGramSmoothing smoothing)
    {
        var random = new Random(9);
        var symbols = Enumerable.Range(0, 5000).Select(_ => (byte)(random.Next(3) == 0 ? random.Next(6) : random.Next(2))).ToArray();
        var model = NGramModel.Train(new EncodedText(symbols), vocabularySize: 7, maxOrder: 6, smoothing: smoothing);

        int[][] histories = [[0, 1, 0, 1, 1], [5, 5, 5, 5, 5], [], [2]];
        foreach (var history in histories)
        {
            for (var order = 1; order <= 6; order++)
            {
                var total = Enumerable.Range(0, 7).Sum(s => model.Probability(history, s, order));
                Assert.Equal(1.0, total, 1e-9);
            }
        }
    }

    [Theory]
    [InlineData(NGramSmoothing.WittenBell)]
    [InlineData(NGramSmoothing.AbsoluteDiscounting)]
    public void Evaluate_EqualsTheMeanNegativeLogProbability_WhenComputedSymbolBySymbol(NGramSmoothing smoothing)
    {
        var random = new Random(10);
        var symbols = Enumerable.Range(0, 3000).Select(_ => (byte)random.Next(4)).ToArray();
        var model = NGramModel.Train(new EncodedText(symbols.AsMemory(0, 2500)), vocabularySize: 4, maxOrder: 5, smoothing: smoothing);
        var test = symbols[2500..].Select(s => (int)s).ToArray();

        var losses = model.Evaluate(new EncodedText(symbols.AsMemory(2500)));

        for (var order = 1; order <= 5; order++)
        {
            var expected = Enumerable.Range(0, test.Length).Average(i => -Math.Log(model.Probability(test.AsSpan(0, i), test[i], order)));
            Assert.Equal(expected, losses[order - 1].CrossEntropy, 1e-9);
        }
        // Independent uniform symbols: no order can beat ln 4 on held-out text by more than noise (a model whose
        // probabilities did not sum to 1 could).
        Assert.All(losses, l => Assert.InRange(l.CrossEntropy, Math.Log(4) - 0.02, Math.Log(4) + 0.5));
    }
}
