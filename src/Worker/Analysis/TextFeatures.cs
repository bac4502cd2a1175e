using System.Text;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// Per-character features of a text, the paper's interpretable-cell candidates. Each value describes the state
/// after reading that character, which is what the hidden state at that step can know (an opening quote is
/// inside, a closing quote is outside).
/// </summary>
public static class TextFeatures
{
    /// <summary>Characters since the last '\n' (0 for a newline and for the first character of the text).</summary>
    public const string LinePosition = "line_position";
    /// <summary>1 between an opening and a closing double quote (").</summary>
    public const string InsideQuotes = "inside_quotes";
    /// <summary>1 while at least one ( [ { is open.</summary>
    public const string InsideBrackets = "inside_brackets";
    /// <summary>How many ( [ { are open (closings below zero are ignored).</summary>
    public const string BracketDepth = "bracket_depth";
    /// <summary>1 for a letter or digit that follows neither.</summary>
    public const string WordStart = "word_start";

    public static IReadOnlyList<string> Names { get; } = [LinePosition, InsideQuotes, InsideBrackets, BracketDepth, WordStart];

    /// <summary>Feature name -> one value per rune of <paramref name="text"/>.</summary>
    public static IReadOnlyDictionary<string, double[]> Compute(string text)
    {
        var runes = text.EnumerateRunes().ToArray();
        var features = Names.ToDictionary(n => n, _ => new double[runes.Length]);
        int line = 0, depth = 0;
        var quoted = false;
        var previousIsWord = false;
        for (var t = 0; t < runes.Length; t++)
        {
            var r = runes[t];
            if (r.Value == '\n') line = 0;
            else if (t > 0) line++;
            if (r.Value == '"') quoted = !quoted;
            if (r.Value is '(' or '[' or '{') depth++;
            else if (r.Value is ')' or ']' or '}' && depth > 0) depth--;
            var isWord = Rune.IsLetterOrDigit(r);

            features[LinePosition][t] = line;
            features[InsideQuotes][t] = quoted ? 1 : 0;
            features[InsideBrackets][t] = depth > 0 ? 1 : 0;
            features[BracketDepth][t] = depth;
            features[WordStart][t] = isWord && !previousIsWord ? 1 : 0;
            previousIsWord = isWord;
        }
        return features;
    }
}
