using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>What a corpus must be before anything is stored: UTF-8 text, and large enough for a sweep's splits.</summary>
public static class CorpusCheck
{
    public const int MaxVocabulary = 65_535;

    /// <summary>Checks the text itself from its scan: not empty, within <paramref name="maxBytes"/>, UTF-8, no NUL, 2 to 65,535 characters.</summary>
    public static void Scan(TextScan scan, long maxBytes, string field)
    {
        if (scan.Bytes == 0) throw new ValidationException(field, "is empty");
        if (scan.Bytes > maxBytes) throw new ValidationException(field, $"has {scan.Bytes} bytes; at most {maxBytes} are accepted");
        if (scan.InvalidAt is { } at) throw new ValidationException(field, $"is not UTF-8 text (invalid byte at offset {at})");
        if (scan.NulAt is not null) throw new ValidationException(field, "contains NUL bytes: it is binary, not text");
        var size = scan.DistinctCharacters;
        if (size > MaxVocabulary) throw new ValidationException(field, $"has {size} distinct symbols; at most {MaxVocabulary} are supported");
        if (size < 2) throw new ValidationException(field, "has a single distinct symbol: there is nothing to predict");
    }

    /// <summary>Checks that the sweep's vocabulary and splits fit a corpus of these sizes.</summary>
    public static void Splits(long bytes, long characters, int byteVocabularySize, Hyperparameters hp, string field)
    {
        if (hp.Vocabulary == VocabularyKinds.Bytes && byteVocabularySize < 2) throw new ValidationException(field, "has a single distinct symbol: there is nothing to predict");
        var symbols = hp.Vocabulary == VocabularyKinds.Bytes ? bytes : characters;
        if (SplitSizes.Check(symbols, hp, field) is { Count: > 0 } errors) throw new ValidationException(errors);
    }
}
