using System.Text;

namespace RnnSweep.Orchestrator.Tests.Support;

/// <summary>Text made in code (tests never read the real corpora): sentences of a small vocabulary, seeded.</summary>
public static class GeneratedText
{
    private static readonly string[] Words =
        ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "big", "red", "house", "with", "quick", "fox"];

    public static string Sentences(int characters, int seed = 1)
    {
        var random = new Random(seed);
        var sb = new StringBuilder(characters + 64);
        while (sb.Length < characters)
        {
            var n = random.Next(3, 9);
            for (var i = 0; i < n; i++)
            {
                var word = Words[random.Next(Words.Length)];
                sb.Append(i == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
                sb.Append(i == n - 1 ? ".\n" : " ");
            }
        }
        return sb.ToString(0, characters);
    }
}
