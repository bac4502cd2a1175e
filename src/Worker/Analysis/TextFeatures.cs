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

    /// <summary>1 inside a C comment: from the '*' of "/*" to the '*' of "*/", or from the second '/' of "//" to the end of its line.</summary>
    public const string InsideComment = "inside_comment";
    /// <summary>
    /// 1 inside a C string or character literal outside comments: from the opening quote to the last character
    /// before the closing one; a backslash escapes the next character. An apostrophe opens a character literal only
    /// when it closes within three characters ('a', '\n'), so prose's apostrophes are not literals.
    /// </summary>
    public const string InsideString = "inside_string";
    /// <summary>The current line's indentation in levels: its leading whitespace in columns (tab stops every 8) / 8, as read so far.</summary>
    public const string IndentDepth = "indent_depth";

    /// <summary>The features of program text (the paper's Linux kernel cells); constant, and so skipped, on prose.</summary>
    public static IReadOnlyList<string> CodeNames { get; } = [InsideComment, InsideString, IndentDepth];

    public static IReadOnlyList<string> Names { get; } = [LinePosition, InsideQuotes, InsideBrackets, BracketDepth, WordStart, .. CodeNames];

    /// <summary>Feature name -> one value per rune of <paramref name="text"/>.</summary>
    /// <param name="startsLine">Whether the text's first character starts a line. False for a window cut from the middle
    /// of a corpus (an analysis stream): whitespace before its first newline is not known to be indentation, and
    /// counting it as such made indentation vary on prose whose lines are never indented (a stream starting on the
    /// space between two words), so its units were listed against a near-zero threshold.</param>
    public static IReadOnlyDictionary<string, double[]> Compute(string text, bool startsLine = true)
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
        CodeFeatures(runes, startsLine, features[InsideComment], features[InsideString], features[IndentDepth]);
        return features;
    }

    private enum Code { Text, LineComment, BlockComment, String, Char }

    private static void CodeFeatures(Rune[] runes, bool startsLine, double[] comment, double[] inString, double[] indent)
    {
        var state = Code.Text;
        var escaped = false;
        var leading = startsLine;
        var columns = 0;
        int At(int i) => i >= 0 && i < runes.Length ? runes[i].Value : -1;
        for (var t = 0; t < runes.Length; t++)
        {
            var c = runes[t].Value;
            var ended = false; // a closing character is outside (the state after reading it)
            switch (state)
            {
                case Code.Text:
                    if (c == '*' && At(t - 1) == '/') state = Code.BlockComment;
                    else if (c == '/' && At(t - 1) == '/') state = Code.LineComment;
                    else if (c == '"') state = Code.String;
                    else if (c == '\'' && (At(t + 2) == '\'' || (At(t + 1) == '\\' && (At(t + 3) == '\'' || At(t + 4) == '\'')))) state = Code.Char;
                    break;
                case Code.LineComment:
                    if (c == '\n') { state = Code.Text; ended = true; }
                    break;
                case Code.BlockComment:
                    if (c == '/' && At(t - 1) == '*' && At(t - 2) != '/') { state = Code.Text; ended = true; }
                    break;
                case Code.String or Code.Char:
                    if (escaped) escaped = false;
                    else if (c == '\\') escaped = true;
                    else if (c == (state == Code.String ? '"' : '\'') || c == '\n') { state = Code.Text; ended = true; }
                    break;
            }
            comment[t] = state is Code.BlockComment or Code.LineComment && !ended ? 1 : 0;
            inString[t] = state is Code.String or Code.Char && !ended ? 1 : 0;

            if (c == '\n') { leading = true; columns = 0; }
            else if (leading && c == ' ') columns++;
            else if (leading && c == '\t') columns = (columns / 8 + 1) * 8;
            else leading = false;
            indent[t] = c == '\n' ? 0 : columns / 8.0;
        }
    }
}
