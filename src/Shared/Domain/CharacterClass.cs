namespace RnnSweep.Shared.Domain;

/// <summary>
/// Character classes of Sections 4.2 and 4.3, stored as their numbers in <c>test_oracles</c>; the table
/// <c>character_classes</c> names them for SQL (its rows are these, checked by a test).
/// </summary>
public enum CharacterClass : short
{
    Other = 0,
    Lowercase = 1,
    Uppercase = 2,
    Digit = 3,
    Space = 4,
    LineBreak = 5,
    Punctuation = 6,
    Quote = 7,
    OpeningBracket = 8,
    ClosingBracket = 9,
}

public static class CharacterClassNames
{
    /// <summary>The SQL name of each class (<c>character_classes.name</c>).</summary>
    public static string Name(this CharacterClass c) => c switch
    {
        CharacterClass.Lowercase => "lowercase letter",
        CharacterClass.Uppercase => "uppercase letter",
        CharacterClass.Digit => "digit",
        CharacterClass.Space => "space",
        CharacterClass.LineBreak => "line break",
        CharacterClass.Punctuation => "punctuation",
        CharacterClass.Quote => "quote",
        CharacterClass.OpeningBracket => "opening bracket",
        CharacterClass.ClosingBracket => "closing bracket",
        _ => "other",
    };
}
