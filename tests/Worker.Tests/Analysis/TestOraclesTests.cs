using System.Text;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Tests.Support;

namespace RnnSweep.Worker.Tests.Analysis;

/// <summary>Sections 4.2 and 4.3's facts about test positions: the oracles' inputs, on text whose answers are known.</summary>
public class TestOraclesTests
{
    private static (EncodedText Train, EncodedText Test, Vocabulary Vocabulary) Texts(string train, string test)
    {
        var vocabulary = Vocabulary.Build(Encoding.UTF8.GetBytes(train + test), VocabularyKinds.Chars);
        return (vocabulary.Encode(Encoding.UTF8.GetBytes(train)), vocabulary.Encode(Encoding.UTF8.GetBytes(test)), vocabulary);
    }

    [Fact]
    public void Compute_FindsRepeatedWords_RareWords_WordStarts_AndTheDistanceToEachOpener()
    {
        const string train = "alpha beta beta gamma gamma gamma\n";
        const string test = "Mary met (beta) Mary. \"x\"\n\n\"a\n\n\"bc\" alpha";
        var (trainText, testText, vocabulary) = Texts(train, test);
        var o = TestOracles.Compute(trainText, testText, vocabulary.Symbols, new short[test.Length]);
        int At(string piece, int nth = 0)
        {
            var at = -1;
            for (var k = 0; k <= nth; k++) at = test.IndexOf(piece, at + 1, StringComparison.Ordinal);
            return at;
        }

        var secondMary = At("Mary", 1);
        // Dynamic memory: the second "Mary" is seen within 100 characters; its first letter is a word start, not memory.
        Assert.Equal([0, 100, 100, 100], o.MemoryWindow.AsSpan(secondMary, 4).ToArray());
        Assert.All(o.MemoryWindow.AsSpan(0, 4).ToArray(), w => Assert.Equal(0, w));
        // Rare words: counts of whole words in train; -1 outside words.
        Assert.Equal(0, o.TrainCount[secondMary]);
        Assert.Equal(2, o.TrainCount[At("beta") + 1]);
        Assert.Equal(1, o.TrainCount[At("alpha") + 4]);
        Assert.Equal(-1, o.TrainCount[At(" ")]);
        // Classes, and the class before (the word model's "after a space").
        Assert.Equal((short)CharacterClass.Space, o.PreviousClass[secondMary]);
        Assert.Equal(-1, o.PreviousClass[0]);
        Assert.Equal((short)CharacterClass.Uppercase, o.Class[0]);
        Assert.Equal((short)CharacterClass.Punctuation, o.Class[At(".")]);
        // Closers: ")" 5 after "("; the first quote pair; a blank line forgets the unclosed quote before "bc".
        Assert.Equal(5, o.OpenerDistance[At(")")]);
        Assert.Equal(2, o.OpenerDistance[At("\"", 1)]);
        Assert.Equal(-1, o.OpenerDistance[At("\"", 2)]);
        Assert.Equal(-1, o.OpenerDistance[At("\"", 3)]);
        Assert.Equal(3, o.OpenerDistance[At("\"", 4)]);
        Assert.Equal(3, o.OpenerDistance.Count(d => d >= 0));                    // ")" and two quotes; nothing else closes
    }

    [Fact]
    public void Compute_NeverLooksAcrossASegment()
    {
        // Two segments of 10: "Mary" ends the first, and its repeat opens the second, where nothing precedes it.
        var (train, _, vocabulary) = Texts("word word\n", "Mary  abcd");
        var symbols = Encoding.UTF8.GetBytes("Mary  Mary" + "Mary  abcd").Select(b => (byte)vocabulary.IndexOf(b)).ToArray();
        var test = EncodedText.Join([new EncodedText(symbols.AsMemory(0, 10)), new EncodedText(symbols.AsMemory(10, 10))]);
        var o = TestOracles.Compute(train, test, vocabulary.Symbols, new short[20]);

        Assert.Equal(100, o.MemoryWindow[7]);                                    // "Mary" again in the first segment
        Assert.All(o.MemoryWindow.AsSpan(10, 4).ToArray(), w => Assert.Equal(0, w));
        Assert.Equal(-1, o.PreviousClass[10]);
    }

    [Fact]
    public void Evaluate_OracleOrder_IsTheSmallestOrderUpToNineGivingTheSymbolAtLeastOneHalf()
    {
        var (text, vocabularySize) = TestCorpus.Generate(6000);
        var train = text.Slice(0, 5000);
        var test = text.Slice(5000, 1000);
        var model = KneserNeyModel.Train(train, vocabularySize, 12);
        var orders = new short[test.Length];
        Array.Fill(orders, (short)-1);
        model.Evaluate(test, oracleOrders: orders);

        Assert.Equal(-1, orders[0]);                                             // the first symbol is history only
        var symbols = Enumerable.Range(0, (int)test.Length).Select(i => test[i]).ToArray();
        var found = new HashSet<int>();
        for (var i = 1; i < symbols.Length; i++)
        {
            var history = symbols.AsSpan(Math.Max(0, i - 11), Math.Min(i, 11)).ToArray();
            var expected = Enumerable.Range(1, 9).FirstOrDefault(n => model.Probability(history, symbols[i], n) >= 0.5);
            Assert.Equal(expected, orders[i]);
            found.Add(expected);
        }
        Assert.True(found.Count >= 3, $"only orders {string.Join(",", found)} occur: the test would not tell orders apart");
    }
}
