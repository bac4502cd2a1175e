using System.Text;

namespace RnnSweep.Orchestrator.Bench;

/// <summary>An inline corpus for the bench's sweeps: deterministic English-like text of a given length.</summary>
public static class BenchCorpus
{
    private static readonly string[] Words =
        ["the", "and", "to", "of", "I", "you", "my", "that", "in", "is", "not", "with", "me", "for", "be", "his", "your", "this",
         "but", "he", "have", "thou", "so", "him", "will", "what", "thy", "all", "her", "no", "lord", "good", "now", "sir", "King", "Romeo"];
    private static readonly string[] Marks = [" ", " ", " ", " ", ", ", ". ", "; ", "! ", "? ", "\n"];

    public static string Text(int characters)
    {
        var text = new StringBuilder(characters + 16);
        var random = new Random(42);
        while (text.Length < characters) text.Append(Words[random.Next(Words.Length)]).Append(Marks[random.Next(Marks.Length)]);
        return text.ToString(0, characters);
    }
}
