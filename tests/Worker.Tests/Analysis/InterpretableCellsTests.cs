using System.Text;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Analysis;

// Slow: each test trains a model (or several) before it looks for units; 12 of the fast subset's 16 Worker minutes under load.
[Trait("Category", "Slow")]
public class InterpretableCellsTests
{
    private const int Hidden = 8, QuoteUnit = 3;

    /// <summary>Prose-like synthetic text: words, lines of about 60 characters, quoted passages and brackets.</summary>
    private static (EncodedText Text, Vocabulary Vocabulary) Synthetic(int characters, int seed)
    {
        var random = new Random(seed);
        var sb = new StringBuilder();
        var line = 0;
        var quoted = false;
        while (sb.Length < characters)
        {
            var word = new string(Enumerable.Range(0, 2 + random.Next(6)).Select(_ => (char)('a' + random.Next(12))).ToArray());
            if (random.Next(12) == 0) word = $"({word})";
            if (random.Next(9) == 0) { word = quoted ? word + "\"" : "\"" + word; quoted = !quoted; }
            sb.Append(word);
            line += word.Length;
            if (line > 55 + random.Next(10)) { sb.Append('\n'); line = 0; }
            else { sb.Append(' '); line++; }
        }
        var utf8 = Encoding.UTF8.GetBytes(sb.ToString(0, characters));
        var vocabulary = Vocabulary.Build(utf8, "chars");
        return (vocabulary.Encode(utf8), vocabulary);
    }

    /// <summary>A 1-layer GRU with PyTorch's random initialisation from <paramref name="seed"/>.</summary>
    private static CharRnn RandomGru(int seed, int vocabularySize)
    {
        manual_seed(seed);
        return new CharRnn(ModelType.Gru, 1, Hidden, vocabularySize, oneHot: true, dropoutRate: 0);
    }

    /// <summary>
    /// Sets unit <see cref="QuoteUnit"/> by hand to flip its sign at every '"' and hold it otherwise:
    /// z = sigmoid(10 - 20 [x = '"']) keeps h except at a quote, where h' = n = tanh(5 [x = '"'] - 10 h), so h = 0 or
    /// -1 (outside) becomes +1 and +1 becomes -1. PyTorch's rows: r [0, H), z [H, 2H), n [2H, 3H).
    /// </summary>
    private static void MakeQuoteUnit(CharRnn model, int quote)
    {
        using var _ = no_grad();
        var p = model.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        foreach (var row in new[] { QuoteUnit, Hidden + QuoteUnit, 2 * Hidden + QuoteUnit })
        {
            p["gru.weight_ih_l0"][row].zero_();
            p["gru.weight_hh_l0"][row].zero_();
            p["gru.bias_ih_l0"][row].zero_();
            p["gru.bias_hh_l0"][row].zero_();
        }
        // The other units do not read it, so they stay the random network they were.
        foreach (var row in Enumerable.Range(0, 3 * Hidden)) p["gru.weight_hh_l0"][row, QuoteUnit].zero_();
        p["gru.bias_ih_l0"][QuoteUnit].fill_(10.0);                              // r = 1
        p["gru.bias_ih_l0"][Hidden + QuoteUnit].fill_(10.0);                     // z = 1: hold
        p["gru.weight_ih_l0"][Hidden + QuoteUnit, quote].fill_(-20.0);           // z = 0 at a quote
        p["gru.weight_ih_l0"][2 * Hidden + QuoteUnit, quote].fill_(5.0);
        p["gru.weight_hh_l0"][2 * Hidden + QuoteUnit, QuoteUnit].fill_(-10.0);  // n = tanh(5 - 10 h): flip
    }

    /// <summary>The untrained null as AnalyzeRunJob builds it: the run's seed and the next two.</summary>
    private static List<GateExtractor> Initialisations(int seed, int vocabularySize) =>
        Enumerable.Range(seed, 3).Select(s => new GateExtractor(RandomGru(s, vocabularySize))).ToList();

    [Fact]
    public void Find_ListsTheUnitSetToTrackQuotes_AboveItsThreshold_OverManyStreams()
    {
        var (text, vocabulary) = Synthetic(61_000, seed: 1);
        using var trained = RandomGru(5, vocabulary.Size);
        MakeQuoteUnit(trained, vocabulary.IndexOf('"'));
        using var extractor = new GateExtractor(trained);
        var initial = Initialisations(5, vocabulary.Size);

        var report = InterpretableCells.Find(extractor, initial, text, vocabulary, new InterpretableCells.Options { Streams = 60, Characters = 60_000 });

        Assert.True(report.Characters >= 50_000, $"read {report.Characters} characters");
        Assert.Equal(60, report.Streams);
        var quotes = report.Units.Where(u => u.Feature == TextFeatures.InsideQuotes).ToList();
        Assert.NotEmpty(quotes);
        Assert.Equal((0, QuoteUnit), (quotes[0].Layer, quotes[0].Unit));
        Assert.True(quotes[0].Correlation > 0.9, $"r = {quotes[0].Correlation}");
        var threshold = report.Thresholds.Single(t => t.Feature == TextFeatures.InsideQuotes);
        Assert.Equal(threshold.Threshold, quotes[0].Threshold);
        Assert.InRange(threshold.Threshold, 0.01, 0.9);
        Assert.Equal(Math.Max(threshold.ShiftThreshold, threshold.InitialThreshold), threshold.Threshold);
        // The other units are random units, slightly changed (they no longer read the quote unit), which may pass a
        // null of three initialisations by a hair; none of them tracks quotes.
        Assert.All(quotes.Skip(1), u => Assert.True(Math.Abs(u.Correlation) < 0.3, $"unit {u.Unit}: r = {u.Correlation}"));
        Assert.All(report.Units, u => Assert.True(Math.Abs(u.Correlation) > u.Threshold));
        Assert.Equal(quotes[0], InterpretableCells.MostInterpretable(report.Units));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Find_ListsNothing_WhenTheWeightsAreRandom(int seed)
    {
        // A network at its random initialisation, read as AnalyzeRunJob reads a run: its untrained null starts with
        // the weights the run had before training, here the same ones.
        var (text, vocabulary) = Synthetic(61_000, seed: 2);
        using var random = RandomGru(seed, vocabulary.Size);
        using var extractor = new GateExtractor(random);
        var initial = Initialisations(seed, vocabulary.Size);
        var options = new InterpretableCells.Options { Streams = 60, Characters = 60_000 };

        var report = InterpretableCells.Find(extractor, initial, text, vocabulary, options);

        // every prose feature; code features only where this text makes them vary (constant ones are skipped)
        var measured = report.Thresholds.Select(t => t.Feature).ToList();
        Assert.Equal(TextFeatures.Names.Except(TextFeatures.CodeNames), measured.Except(TextFeatures.CodeNames));
        // No line of this prose is indented: a stream that starts on the space between two words does not make it so.
        Assert.DoesNotContain(TextFeatures.IndentDepth, measured);
        Assert.Equal(TextFeatures.Names.Intersect(measured), measured);
        Assert.Empty(report.Units);
        // Chance alone is not the whole null: random units react to '(' and so correlate with being inside brackets.
        var chanceOnly = InterpretableCells.Find(extractor, [], text, vocabulary, options);
        Assert.Contains(chanceOnly.Units, u => u.Feature == TextFeatures.InsideBrackets);
    }

    [Fact]
    public void Compute_GivesTheStateAfterEachCharacter_WhenTextHasLinesQuotesAndBrackets()
    {
        var f = TextFeatures.Compute("ab\n(c \"d\")");

        Assert.Equal([0, 1, 0, 1, 2, 3, 4, 5, 6, 7], f[TextFeatures.LinePosition]);
        Assert.Equal([0, 0, 0, 0, 0, 0, 1, 1, 0, 0], f[TextFeatures.InsideQuotes]);
        Assert.Equal([0, 0, 0, 1, 1, 1, 1, 1, 1, 0], f[TextFeatures.BracketDepth]);
        Assert.Equal([0, 0, 0, 1, 1, 1, 1, 1, 1, 0], f[TextFeatures.InsideBrackets]);
        Assert.Equal([1, 0, 0, 0, 1, 0, 0, 1, 0, 0], f[TextFeatures.WordStart]);
    }

    [Fact]
    public void Compute_FollowsCommentsStringsAndIndentation_InCode_AndLeavesProseApostrophesAlone()
    {
        const string code = "\tx = \"a/*\\\"\"; /* c */ y = '\"';\n  // it's\n\t\tz;";
        var f = TextFeatures.Compute(code);
        string Marks(string feature) => string.Concat(f[feature].Select(v => v > 0 ? '1' : '0'));
        Assert.Equal("000000000000000111110000000000000011111100000", Marks(TextFeatures.InsideComment));
        Assert.Equal("000001111110000000000000001100000000000000000", Marks(TextFeatures.InsideString));
        Assert.Equal([1, 1, 0, 2], new[] { 0, 1, code.IndexOf('\n'), code.Length - 1 }.Select(i => f[TextFeatures.IndentDepth][i]));
        Assert.Equal(0.25, f[TextFeatures.IndentDepth][code.IndexOf("//")]); // two spaces of eight
        Assert.All(TextFeatures.CodeNames, n => Assert.All(TextFeatures.Compute("It's Anna's turn, isn't it? (twice)")[n], v => Assert.Equal(0, v)));
    }

    [Fact]
    public void Compute_OfAWindowCutMidLine_CountsIndentationFromItsFirstNewlineOn()
    {
        const string window = "  thou art\n  so";
        var indent = TextFeatures.Compute(window, startsLine: false)[TextFeatures.IndentDepth];
        Assert.All(indent.Take(window.IndexOf('\n') + 1), v => Assert.Equal(0, v));
        Assert.Equal(0.25, indent[^1]);                                                   // two spaces of eight
        Assert.Equal(0.25, TextFeatures.Compute(window)[TextFeatures.IndentDepth][1]);    // a whole text starts a line: two spaces read
    }
}
