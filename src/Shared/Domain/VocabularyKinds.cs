namespace RnnSweep.Shared.Domain;

/// <summary>What a symbol of the vocabulary is (<c>hyperparameters.vocabulary</c>).</summary>
public static class VocabularyKinds
{
    /// <summary>Unicode characters (code points).</summary>
    public const string Chars = "chars";
    /// <summary>UTF-8 bytes, as char-rnn's Lua loader reads text.</summary>
    public const string Bytes = "bytes";

    public static readonly IReadOnlyList<string> All = [Chars, Bytes];
}
