using System.Globalization;
using System.Text;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// What Sections 4.2 and 4.3 of the paper need to know about every position of a sweep's test split, whatever model
/// predicts it; one entry per position (test.Length), the same positions as <c>test_predictions</c>. Stored in
/// <c>test_oracles</c> by the n-gram job; the views <c>error_analysis</c>, <c>prediction_by_class</c> and
/// <c>closing_by_distance</c> join them with each run's probabilities.
/// </summary>
/// <param name="NGramOrder">The n-gram oracle: the smallest n in 1 .. <see cref="MaxOracleOrder"/> whose n-gram model
/// gives the symbol probability &gt;= 0.5, else 0 (also at positions that are not scored).</param>
/// <param name="MemoryWindow">The dynamic n-long memory oracle: for the second and later symbols of a word, the smallest
/// window of <see cref="MemoryWindows"/> in which the whole word appears before the word starts (within the position's
/// segment), else 0.</param>
/// <param name="TrainCount">The rare-words oracle: how often the word the position is in occurs, as a whole word, in the
/// train split (capped at 32,767); -1 where the symbol is not part of a word.</param>
/// <param name="PreviousClass">The <see cref="CharacterClass"/> of the symbol before (the word-model oracle takes errors
/// after a space, a line break or a quote); -1 at a segment's first symbol.</param>
/// <param name="Class">The <see cref="CharacterClass"/> of the symbol.</param>
/// <param name="OpenerDistance">At a closing bracket or quote: how many symbols back its opening one is, else -1
/// (Section 4.2's advantage at closers).</param>
public sealed record TestOracles(short[] NGramOrder, short[] MemoryWindow, short[] TrainCount, short[] PreviousClass, short[] Class, int[] OpenerDistance)
{
    /// <summary>The paper's n-gram oracle uses the 1- to 9-gram models.</summary>
    public const int MaxOracleOrder = 9;
    /// <summary>The paper's dynamic memory windows, in symbols.</summary>
    public static readonly IReadOnlyList<short> MemoryWindows = [100, 500, 1000, 5000];

    /// <summary>
    /// Computes every array but <see cref="NGramOrder"/> (<paramref name="ngramOrder"/>, filled by
    /// <see cref="KneserNeyModel.Evaluate"/>) from the symbols (code points, or byte values of a byte vocabulary).
    /// A word is a maximal run of letters and digits (bytes from 0x80 count as letters: pieces of UTF-8 letters);
    /// words never cross a segment boundary. Quotes pair by alternation, restarted at each blank line (a speech over
    /// several paragraphs opens each with a quote and closes only the last); brackets pair by a stack per kind.
    /// </summary>
    public static TestOracles Compute(EncodedText train, EncodedText test, IReadOnlyList<int> symbols, short[] ngramOrder)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(ngramOrder.Length, test.Length);
        var trainWords = CountWords(train, symbols);
        var n = checked((int)test.Length);
        var text = new int[n];
        for (var i = 0; i < n; i++) text[i] = symbols[test[i]];
        var memory = new short[n];
        var counts = new short[n];
        var previous = new short[n];
        var classes = new short[n];
        var distance = new int[n];
        Array.Fill(counts, (short)-1);
        Array.Fill(distance, -1);
        var segment = n / test.Segments;
        for (var start = 0; start + segment <= n; start += segment)
        {
            var piece = text.AsSpan(start, segment);
            for (var i = 0; i < segment; i++)
            {
                classes[start + i] = (short)Classify(piece[i]);
                previous[start + i] = (short)(i == 0 ? -1 : (short)Classify(piece[i - 1]));
            }
            foreach (var (from, length) in Words(piece))
            {
                var word = piece.Slice(from, length);
                var count = (short)Math.Min(trainWords.GetValueOrDefault(Key(word)), short.MaxValue);
                counts.AsSpan(start + from, length).Fill(count);
                if (length < 2) continue;
                // The nearest earlier occurrence (as a substring of the text before the word) decides the window.
                var before = piece[Math.Max(0, from - MemoryWindows[^1])..from];
                var at = before.LastIndexOf(word);
                if (at < 0) continue;
                var back = before.Length - at;
                var window = MemoryWindows.First(w => w >= back);
                memory.AsSpan(start + from + 1, length - 1).Fill(window);
            }
            PairClosers(piece, distance.AsSpan(start, segment));
        }
        return new TestOracles(ngramOrder, memory, counts, previous, classes, distance);
    }

    /// <summary>The class of a symbol (code point or byte value), for the oracles and the per-class means.</summary>
    public static CharacterClass Classify(int symbol)
    {
        switch (symbol)
        {
            case ' ' or '\t': return CharacterClass.Space;
            case '\n' or '\r': return CharacterClass.LineBreak;
            case '"' or '\u201C' or '\u201D' or '\u00AB' or '\u00BB': return CharacterClass.Quote;
            case '(' or '[' or '{': return CharacterClass.OpeningBracket;
            case ')' or ']' or '}': return CharacterClass.ClosingBracket;
        }
        if (symbol is >= '0' and <= '9') return CharacterClass.Digit;
        if (symbol is >= 'a' and <= 'z') return CharacterClass.Lowercase;
        if (symbol is >= 'A' and <= 'Z') return CharacterClass.Uppercase;
        if (symbol < 0x80) return symbol < 0x20 || symbol == 0x7F ? CharacterClass.Other : CharacterClass.Punctuation;
        if (symbol > 0x10FFFF || symbol is >= 0xD800 and <= 0xDFFF) return CharacterClass.Other;
        var rune = new Rune(symbol);
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.LowercaseLetter => CharacterClass.Lowercase,
            UnicodeCategory.UppercaseLetter or UnicodeCategory.TitlecaseLetter => CharacterClass.Uppercase,
            UnicodeCategory.DecimalDigitNumber => CharacterClass.Digit,
            UnicodeCategory.SpaceSeparator => CharacterClass.Space,
            UnicodeCategory.OpenPunctuation => CharacterClass.OpeningBracket,
            UnicodeCategory.ClosePunctuation => CharacterClass.ClosingBracket,
            UnicodeCategory.DashPunctuation or UnicodeCategory.OtherPunctuation or UnicodeCategory.InitialQuotePunctuation
                or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.ConnectorPunctuation => CharacterClass.Punctuation,
            _ => Rune.IsLetter(rune) ? CharacterClass.Lowercase : CharacterClass.Other,
        };
    }

    private static bool IsWordSymbol(int symbol) =>
        symbol is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9'
        || symbol >= 0x80 && (symbol <= 0xFF || Rune.IsValid(symbol) && Rune.IsLetterOrDigit(new Rune(symbol)));

    /// <summary>(start, length) of every word of a text.</summary>
    private static List<(int From, int Length)> Words(ReadOnlySpan<int> text)
    {
        var words = new List<(int, int)>();
        for (var i = 0; i < text.Length;)
        {
            if (!IsWordSymbol(text[i])) { i++; continue; }
            var from = i;
            while (i < text.Length && IsWordSymbol(text[i])) i++;
            words.Add((from, i - from));
        }
        return words;
    }

    private static string Key(ReadOnlySpan<int> word)
    {
        var sb = new StringBuilder(word.Length);
        foreach (var s in word) sb.Append(char.ConvertFromUtf32(s is > 0x10FFFF or >= 0xD800 and <= 0xDFFF ? 0xFFFD : s));
        return sb.ToString();
    }

    private static Dictionary<string, int> CountWords(EncodedText train, IReadOnlyList<int> symbols)
    {
        var n = checked((int)train.Length);
        var segment = n / train.Segments;
        var counts = new Dictionary<string, int>();
        var text = new int[segment];
        for (var start = 0; start + segment <= n; start += segment)
        {
            for (var i = 0; i < segment; i++) text[i] = symbols[train[start + i]];
            foreach (var (from, length) in Words(text))
            {
                var key = Key(text.AsSpan(from, length));
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }
        return counts;
    }

    /// <summary>Writes, at each closer of <paramref name="text"/>, the distance back to its opener.</summary>
    private static void PairClosers(ReadOnlySpan<int> text, Span<int> distance)
    {
        var open = new Dictionary<int, Stack<int>>();
        var quote = -1;                                                           // where the open quote is, or -1
        for (var i = 0; i < text.Length; i++)
        {
            var s = text[i];
            if (s == '\n' && (i >= 1 && text[i - 1] == '\n' || i >= 3 && text[i - 1] == '\r' && text[i - 2] == '\n')) quote = -1; // a blank line
            switch (Classify(s))
            {
                case CharacterClass.Quote when s is '\u201C' or '\u00AB':
                    quote = i;
                    break;
                case CharacterClass.Quote when s is '\u201D' or '\u00BB' || quote >= 0:
                    if (quote >= 0) distance[i] = i - quote;
                    quote = -1;
                    break;
                case CharacterClass.Quote:
                    quote = i;
                    break;
                case CharacterClass.OpeningBracket:
                    if (!open.TryGetValue(s, out var stack)) open[s] = stack = new Stack<int>();
                    stack.Push(i);
                    break;
                case CharacterClass.ClosingBracket:
                    var opener = s switch { ')' => '(', ']' => '[', '}' => '{', _ => -1 };
                    if (opener >= 0 && open.TryGetValue(opener, out var openers) && openers.Count > 0) distance[i] = i - openers.Pop();
                    break;
            }
        }
    }
}
