namespace RnnSweep.Shared.Domain;

/// <summary>What a symbol of the vocabulary is (<c>hyperparameters.vocabulary</c>).</summary>
public static class VocabularyKinds
{
    /// <summary>Unicode characters (code points).</summary>
    public const string Chars = "chars";
    /// <summary>UTF-8 bytes, as char-rnn's Lua loader reads text.</summary>
    public const string Bytes = "bytes";

    public static readonly IReadOnlyList<string> All = [Chars, Bytes];

    /// <summary>The unit of a loss over this vocabulary's symbols: nats per byte (the paper's, char-rnn reads bytes) or per character.</summary>
    public static string LossUnit(string? vocabulary) => vocabulary == Bytes ? "nats per byte" : "nats per character";

    /// <summary>The common unit of losses over several vocabularies: a byte or character unit when they agree, else per symbol.</summary>
    public static string LossUnit(IEnumerable<string?> vocabularies) => vocabularies.Distinct().ToList() is [var one] ? LossUnit(one) : "nats per symbol";

    /// <summary>The <c>vocabulary</c> of a run's stored hyperparameters (<c>runs.hyperparameters</c>); absent means the default, chars.</summary>
    public static string Of(string hyperparametersJson)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(hyperparametersJson);
        return doc.RootElement.TryGetProperty("vocabulary", out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString()! : Chars;
    }
}
