using System.Text;

namespace RnnSweep.Worker.Bench;

/// <summary>
/// A deterministic English-like corpus of any size, for benchmarks that must not depend on a downloaded file:
/// words from a fixed list with punctuation and line breaks, over a 65-symbol alphabet (Tiny Shakespeare's size).
/// </summary>
public static class BenchText
{
    private static readonly string[] Words =
    [
        "the", "and", "to", "of", "I", "you", "a", "my", "that", "in", "is", "not", "with", "me", "it", "for", "be",
        "his", "your", "this", "but", "he", "have", "as", "thou", "so", "him", "will", "what", "thy", "all", "her",
        "no", "do", "by", "shall", "if", "are", "we", "thee", "on", "lord", "our", "good", "now", "sir", "from",
        "O", "King", "Queen", "Romeo", "JULIET", "BRUTUS", "Zounds", "quietly", "jewel", "vex", "exQuisite",
        "Xerxes", "Yorick", "War", "Peace", "Hamlet", "Ghost", "Kate", "Falstaff", "duke", "Verona", "Wales",
    ];
    private static readonly string[] Marks = [" ", " ", " ", " ", " ", ", ", ". ", "; ", ": ", "! ", "? ", "'s ", "-", " & ", " $3 ", "\n", "\n\n"];

    /// <summary>UTF-8 bytes (all ASCII), exactly <paramref name="bytes"/> long.</summary>
    public static byte[] Generate(long bytes, ulong seed = 42)
    {
        var data = new byte[bytes];
        var state = seed | 1;
        var encodedWords = Words.Select(Encoding.ASCII.GetBytes).ToArray();
        var encodedMarks = Marks.Select(Encoding.ASCII.GetBytes).ToArray();
        long n = 0;
        while (n < bytes)
        {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17; // xorshift64
            var word = encodedWords[(int)(state % (ulong)encodedWords.Length)];
            var mark = encodedMarks[(int)((state >> 32) % (ulong)encodedMarks.Length)];
            foreach (var piece in new[] { word, mark })
            {
                var take = (int)Math.Min(piece.Length, bytes - n);
                piece.AsSpan(0, take).CopyTo(data.AsSpan(checked((int)n)));
                n += take;
            }
        }
        return data;
    }
}
