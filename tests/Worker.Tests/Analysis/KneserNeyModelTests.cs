using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;

namespace RnnSweep.Worker.Tests.Analysis;

public class KneserNeyModelTests
{
    /// <summary>Skewed random symbols: some followers seen once, twice and often, so all three discounts matter.</summary>
    private static byte[] Skewed(int length, int seed, int vocabulary)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (byte)(random.Next(4) == 0 ? random.Next(vocabulary) : random.Next(3))).ToArray();
    }

    /// <summary>Text of <paramref name="segments"/> equal segments, as a split in the streams layout.</summary>
    private static EncodedText Segmented(byte[] symbols, int segments)
    {
        var length = symbols.Length / segments;
        return EncodedText.Join([.. Enumerable.Range(0, segments).Select(s => new EncodedText(symbols.AsMemory(s * length, length)))]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void Probability_SumsToOneOverTheVocabulary_ForManyContextsAndEveryOrder(int segments)
    {
        const int v = 9, maxOrder = 10;
        var symbols = Skewed(7000, 11, v - 1);                                    // symbol 8 never occurs in training
        var model = KneserNeyModel.Train(Segmented(symbols, segments), v, maxOrder);
        var random = new Random(12);
        // Contexts seen in training (cut from it), random ones, ones with the unseen symbol, and short ones.
        var histories = Enumerable.Range(0, 150).Select(_ => symbols.AsSpan(random.Next(symbols.Length - 20), random.Next(0, 20)).ToArray().Select(b => (int)b).ToArray())
            .Concat(Enumerable.Range(0, 50).Select(_ => Enumerable.Range(0, random.Next(0, 15)).Select(_ => random.Next(v)).ToArray()))
            .Append([8, 0, 1]).Append([]).ToList();

        Assert.Equal(maxOrder, model.MaxOrder);
        foreach (var history in histories)
        {
            for (var order = 1; order <= maxOrder; order++)
            {
                var probabilities = Enumerable.Range(0, v).Select(s => model.Probability(history, s, order)).ToList();
                Assert.All(probabilities, p => Assert.True(p > 0, $"P = {p} for history [{string.Join(",", history)}], order {order}"));
                Assert.Equal(1.0, probabilities.Sum(), 1e-9);
            }
        }
    }

    [Fact]
    public void Probability_EqualsChenAndGoodmansDefinition_ComputedFromStringCounts()
    {
        const int v = 6, maxOrder = 5, segments = 3;
        var symbols = Skewed(3000, 13, v);
        var model = KneserNeyModel.Train(Segmented(symbols, segments), v, maxOrder);
        var reference = new ReferenceKneserNey(symbols, segments, v);
        var random = new Random(14);

        for (var trial = 0; trial < 300; trial++)
        {
            var history = Enumerable.Range(0, random.Next(0, 6)).Select(_ => random.Next(trial % 2 == 0 ? 3 : v)).ToArray();
            var symbol = random.Next(v);
            for (var order = 1; order <= maxOrder; order++)
            {
                Assert.Equal(reference.Probability(history, symbol, order, maxOrder), model.Probability(history, symbol, order), 1e-12);
            }
        }
    }

    [Fact]
    public void Evaluate_EqualsTheMeanNegativeLogProbability_OverEverySymbolButEachSegmentsFirst()
    {
        const int v = 5, maxOrder = 6, segments = 4;
        var train = Skewed(4000, 15, v);
        var test = Skewed(800, 16, v);
        var model = KneserNeyModel.Train(Segmented(train, segments), v, maxOrder);

        var losses = model.Evaluate(Segmented(test, segments));

        var length = test.Length / segments;
        for (var order = 1; order <= maxOrder; order++)
        {
            var terms = new List<double>();
            for (var s = 0; s < segments; s++)
            {
                var segment = test.AsSpan(s * length, length).ToArray().Select(b => (int)b).ToArray();
                for (var i = 1; i < length; i++) terms.Add(-Math.Log(model.Probability(segment.AsSpan(0, i), segment[i], order)));
            }
            Assert.Equal(terms.Average(), losses[order - 1].CrossEntropy, 1e-9);
        }
    }

    [Fact]
    public void Run_RisesFarLessWithTheOrderThanAbsoluteDiscounting_OnAnOrderTwoSource()
    {
        // A random order-2 Markov source: longer contexts carry no more information. Sparse long contexts make
        // every smoother worse past n = 3; continuation counts and three discounts must keep most of the loss away.
        var random = new Random(17);
        const int v = 12;
        var table = new int[v, v][];
        for (var a = 0; a < v; a++) for (var b = 0; b < v; b++) table[a, b] = Enumerable.Range(0, 3).Select(_ => random.Next(v)).ToArray();
        var symbols = new byte[60_000];
        for (var i = 2; i < symbols.Length; i++)
        {
            var choices = table[symbols[i - 2], symbols[i - 1]];
            symbols[i] = (byte)(random.Next(10) == 0 ? random.Next(v) : choices[random.Next(3)]);
        }
        var train = new EncodedText(symbols.AsMemory(0, 54_000));
        var test = new EncodedText(symbols.AsMemory(54_000));

        var kn = NGramModel.Run(train, test, v, maxOrder: 12);
        var absolute = NGramModel.Run(train, test, v, maxOrder: 12, smoothing: NGramSmoothing.AbsoluteDiscounting);

        Assert.Equal(NGramSmoothing.ModifiedKneserNey.Name(), kn.Smoothing);
        Assert.Equal(3, kn.Losses.MinBy(l => l.CrossEntropy)!.Order);
        var knRise = kn.Losses[^1].CrossEntropy - kn.Losses[2].CrossEntropy;
        var absoluteRise = absolute.Losses[^1].CrossEntropy - absolute.Losses[2].CrossEntropy;
        Assert.True(knRise < absoluteRise / 2, $"rise from n = 3 to 12: Kneser-Ney {knRise:0.000}, absolute discounting {absoluteRise:0.000}");
    }

    [Fact]
    public void Evaluate_StoresTheTopOrdersProbabilityPerPosition_WhoseMeanLogIsTheLoss()
    {
        const int v = 5, segments = 4;
        var model = KneserNeyModel.Train(Segmented(Skewed(4000, 19, v), segments), v, maxOrder: 6);
        var test = Segmented(Skewed(800, 20, v), segments);
        var probabilities = new float[test.Length];
        Array.Fill(probabilities, float.NaN);

        var losses = model.Evaluate(test, probabilities);

        // Every position but each segment's first is scored.
        Assert.Equal(Enumerable.Range(0, segments).Select(s => s * 200), Enumerable.Range(0, probabilities.Length).Where(i => float.IsNaN(probabilities[i])));
        Assert.Equal(losses[^1].CrossEntropy, probabilities.Where(p => !float.IsNaN(p)).Average(p => -Math.Log(p)), 1e-5);
    }

    [Fact]
    public void Train_StopsAtTheLargestOrderThatFits_AndKeepsTheOrdersBelowExact()
    {
        var symbols = Skewed(60_000, 18, 6);
        var train = new EncodedText(symbols.AsMemory(0, 50_000));
        var test = new EncodedText(symbols.AsMemory(50_000));
        var unlimited = KneserNeyModel.Run(train, test, 6, maxOrder: 25);

        var limited = KneserNeyModel.Run(train, test, 6, maxOrder: 25, memoryBudgetBytes: 8 << 20);

        Assert.InRange(limited.ComputedOrder, 2, 24);
        Assert.NotNull(limited.StopReason);
        Assert.True(limited.EstimatedBytes <= 8 << 20);
        // Model n reads orders 1 .. n only, so the orders built are exactly those of the unlimited model.
        Assert.Equal(unlimited.Losses.Take(limited.ComputedOrder), limited.Losses);
    }

    /// <summary>
    /// Interpolated modified Kneser-Ney written out from Chen and Goodman's definition with string keys and no
    /// shortcuts: the reference <see cref="KneserNeyModel"/> is checked against.
    /// </summary>
    private sealed class ReferenceKneserNey
    {
        private readonly Dictionary<string, int> _count = [];
        private readonly Dictionary<string, HashSet<int>> _before = [];
        private readonly int _vocabulary;

        public ReferenceKneserNey(byte[] symbols, int segments, int vocabulary)
        {
            _vocabulary = vocabulary;
            var length = symbols.Length / segments;
            for (var s = 0; s < segments; s++)
            {
                var segment = symbols.AsSpan(s * length, length).ToArray();
                for (var start = 0; start < length; start++)
                {
                    for (var m = 1; m <= 12 && start + m <= length; m++)
                    {
                        var key = Key(segment.Skip(start).Take(m).Select(b => (int)b));
                        _count[key] = _count.GetValueOrDefault(key) + 1;
                        if (start > 0) (_before.TryGetValue(key, out var set) ? set : _before[key] = []).Add(segment[start - 1]);
                    }
                }
            }
        }

        private static string Key(IEnumerable<int> symbols) => string.Join(",", symbols);

        private int A(int[] window, bool raw) =>
            raw ? _count.GetValueOrDefault(Key(window)) : _before.TryGetValue(Key(window), out var set) ? set.Count : 0;

        private readonly Dictionary<(int, bool), double[]> _discounts = [];

        private double[] Discounts(int m, bool raw)
        {
            if (_discounts.TryGetValue((m, raw), out var cached)) return cached;
            var counts = _count.Keys.Where(k => k.Split(',').Length == m)
                .Select(k => raw ? _count[k] : _before.TryGetValue(k, out var set) ? set.Count : 0).ToList();
            var nk = Enumerable.Range(0, 5).Select(k => (double)counts.Count(c => c == k)).ToArray();
            var y = nk[1] + 2 * nk[2] > 0 ? nk[1] / (nk[1] + 2 * nk[2]) : 0.5;
            if (y == 0) y = 0.5;
            double[] d = [1 - 2 * y * nk[2] / nk[1], 2 - 3 * y * nk[3] / nk[2], 3 - 4 * y * nk[4] / nk[3]];
            var valid = nk.Skip(1).All(c => c > 0) && Enumerable.Range(0, 3).All(k => d[k] > 0 && d[k] <= k + 1);
            return _discounts[(m, raw)] = valid ? d : [y, y, y];
        }

        /// <summary>P of order m given the last m - 1 symbols of history; raw counts at the top, continuation counts below.</summary>
        private double P(int[] context, int symbol, int m, bool raw)
        {
            if (m == 0) return 1.0 / _vocabulary;
            var lower = P(m == 1 ? [] : context[1..], symbol, m - 1, raw: false);
            var follower = Enumerable.Range(0, _vocabulary).Select(w => A([.. context, w], raw)).ToArray();
            var total = follower.Sum();
            if (total == 0) return lower;
            var d = Discounts(m, raw);
            double D(int a) => a == 0 ? 0 : d[Math.Min(a, 3) - 1];
            var gamma = follower.Sum(D);
            return (Math.Max(follower[symbol] - D(follower[symbol]), 0) + gamma * lower) / total;
        }

        public double Probability(int[] history, int symbol, int order, int maxOrder)
        {
            var m = Math.Min(order, history.Length + 1);
            // Below the model's largest order every order is a lower order, whose counts are continuation counts.
            return P(history[^(m - 1)..], symbol, m, raw: true);
        }
    }
}
