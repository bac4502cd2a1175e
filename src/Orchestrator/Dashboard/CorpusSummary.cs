using System.Text;
using System.Text.Json;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>What a page says about a sweep's stored corpus: its size, checksum and, when it was built from source files, its recipe.</summary>
/// <param name="Bytes">UTF-8 bytes; <paramref name="Characters"/> counts Unicode code points.</param>
/// <param name="Recipe">The stored recipe (<c>corpora.recipe</c>), or null for a text stored as given (or a recipe this version cannot read).</param>
public sealed record CorpusSummary(string Sha256, long Bytes, long Characters, int VocabularySize, CorpusBuilder.StoredRecipe? Recipe)
{
    public static CorpusSummary Of(Corpus corpus) => new(corpus.Sha256, corpus.Bytes, corpus.Characters, corpus.VocabularySize, ReadRecipe(corpus.Recipe));

    private static CorpusBuilder.StoredRecipe? ReadRecipe(string? json)
    {
        if (json is null) return null;
        try
        {
            return CorpusBuilder.StoredRecipe.Read(json);
        }
        catch (JsonException)
        {
            return null; // why: a page must still render for a row written by another version; the API shows the raw JSON
        }
    }

    /// <summary>A separator as the form and the CLI take it: <c>\n</c>, <c>\t</c>, <c>\r</c>, <c>\\</c>, other control characters as <c>\uHHHH</c>.</summary>
    public static string Escape(string text)
    {
        var sb = new StringBuilder();
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '\n' => "\\n", '\t' => "\\t", '\r' => "\\r", '\\' => "\\\\",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }
}
