using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Analysis;

public class InterpretableCellsTests
{
    private const string Excerpt = "He said \"no, not (now)\" and left.\nShe asked \"why [not] today?\" twice.\n\"Fine,\" he said (quietly).\n";

    [Fact]
    public void TopUnits_ListsTheQuoteUnitFirstWithCorrelationOne_WhenOneUnitTracksInsideQuotes()
    {
        // Independent of TextFeatures: inside after an opening quote, outside after the closing one.
        var quoted = new List<float>();
        var inside = false;
        foreach (var ch in Excerpt)
        {
            if (ch == '"') inside = !inside;
            quoted.Add(inside ? 1f : 0f);
        }
        var steps = Excerpt.Length;
        const int layers = 2, hidden = 6;
        var random = new Random(5);
        var values = new float[layers * steps * hidden];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 1.6 - 0.8);
        for (var t = 0; t < steps; t++) values[(1 * steps + t) * hidden + 4] = quoted[t];
        var cells = CellActivations.Encode(Excerpt, ModelType.Lstm, tensor(values, [layers, steps, hidden]));

        var top = InterpretableCells.TopUnits(cells, k: 3).Where(c => c.Feature == TextFeatures.InsideQuotes).ToList();

        Assert.Equal(3, top.Count);
        Assert.Equal((1, 4), (top[0].Layer, top[0].Unit));
        Assert.Equal(1.0, top[0].Correlation, 1e-6);
        Assert.True(Math.Abs(top[1].Correlation) < 0.5, $"a noise unit correlates {top[1].Correlation}");
    }

    [Fact]
    public void TopUnits_GivesMinusOne_WhenAUnitIsTheNegatedBracketDepth()
    {
        var depth = TextFeatures.Compute(Excerpt)[TextFeatures.BracketDepth];
        var values = new float[Excerpt.Length * 2];
        for (var t = 0; t < Excerpt.Length; t++) (values[t * 2], values[t * 2 + 1]) = (-(float)depth[t], (t % 7) / 7f);
        var cells = CellActivations.Encode(Excerpt, ModelType.Gru, tensor(values, [1, Excerpt.Length, 2]));

        var top = InterpretableCells.TopUnits(cells, k: 1).Single(c => c.Feature == TextFeatures.BracketDepth);

        Assert.Equal(0, top.Unit);
        Assert.Equal(-1.0, top.Correlation, 1e-6);
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
    public void TopUnits_LeavesAFeatureOut_WhenItIsConstantOverTheExcerpt()
    {
        const string text = "no quotes here\n";
        var values = Enumerable.Range(0, text.Length * 3).Select(i => (float)Math.Sin(i)).ToArray();
        var cells = CellActivations.Encode(text, ModelType.Rnn, tensor(values, [1, text.Length, 3]));

        var top = InterpretableCells.TopUnits(cells, k: 2);

        Assert.DoesNotContain(top, c => c.Feature == TextFeatures.InsideQuotes);
        Assert.Equal(4, top.Count(c => c.Feature == TextFeatures.LinePosition) + top.Count(c => c.Feature == TextFeatures.WordStart));
    }
}
