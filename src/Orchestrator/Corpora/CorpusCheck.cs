using System.Text;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>What a corpus must be before anything is stored: UTF-8 text, and large enough for a sweep's splits.</summary>
public static class CorpusCheck
{
    public const int MaxVocabulary = 65_535;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Checks the text itself; returns its characters (code points) and its character vocabulary size.</summary>
    public static (long Characters, int VocabularySize) Text(byte[] utf8, long maxBytes, string field)
    {
        if (utf8.Length == 0) throw new ValidationException(field, "is empty");
        if (utf8.Length > maxBytes) throw new ValidationException(field, $"has {utf8.Length} bytes; at most {maxBytes} are accepted");
        try
        {
            StrictUtf8.GetCharCount(utf8);
        }
        catch (DecoderFallbackException e)
        {
            throw new ValidationException(field, $"is not UTF-8 text (invalid byte at offset {e.Index})");
        }
        if (utf8.AsSpan().IndexOf((byte)0) >= 0) throw new ValidationException(field, "contains NUL bytes: it is binary, not text");
        var vocabulary = CheckVocabulary(utf8, VocabularyKinds.Chars, field);
        return (CodePoints(utf8), vocabulary);
    }

    /// <summary>Checks that the sweep's vocabulary and splits fit this corpus.</summary>
    public static void Splits(byte[] utf8, Hyperparameters hp, string field)
    {
        if (hp.Vocabulary == VocabularyKinds.Bytes) CheckVocabulary(utf8, VocabularyKinds.Bytes, field);
        var symbols = hp.Vocabulary == VocabularyKinds.Bytes ? utf8.Length : CodePoints(utf8);
        if (SplitSizes.Check(symbols, hp, field) is { Count: > 0 } errors) throw new ValidationException(errors);
    }

    private static int CheckVocabulary(byte[] utf8, string kind, string field)
    {
        var size = Vocabulary.Build(utf8, kind).Size;
        if (size > MaxVocabulary) throw new ValidationException(field, $"has {size} distinct symbols; at most {MaxVocabulary} are supported");
        if (size < 2) throw new ValidationException(field, "has a single distinct symbol: there is nothing to predict");
        return size;
    }

    /// <summary>Code points of valid UTF-8: every byte that is not a continuation byte (10xxxxxx) starts one.</summary>
    private static long CodePoints(ReadOnlySpan<byte> utf8)
    {
        long count = 0;
        foreach (var b in utf8) if ((b & 0xC0) != 0x80) count++;
        return count;
    }
}
