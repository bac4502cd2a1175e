using System.Text;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>What a corpus must be before anything is stored: UTF-8 text, large enough for its splits.</summary>
public static class CorpusCheck
{
    public const int MaxVocabulary = 65_535;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Returns the number of symbols (code points or bytes) and the vocabulary size, or throws naming the field.</summary>
    public static (long Symbols, int VocabularySize, long Characters) Check(byte[] utf8, Hyperparameters hp, long maxBytes, string field = "corpus")
    {
        if (utf8.Length == 0) throw new ValidationException(field, "is empty");
        if (utf8.Length > maxBytes) throw new ValidationException(field, $"has {utf8.Length} bytes; at most {maxBytes} are accepted");
        int characters;
        try
        {
            characters = StrictUtf8.GetCharCount(utf8);
        }
        catch (DecoderFallbackException e)
        {
            throw new ValidationException(field, $"is not UTF-8 text (invalid byte at offset {e.Index})");
        }
        if (utf8.AsSpan().IndexOf((byte)0) >= 0) throw new ValidationException(field, "contains NUL bytes: it is binary, not text");

        var vocabulary = Vocabulary.Build(utf8, hp.Vocabulary);
        var codePoints = hp.Vocabulary == "bytes" ? utf8.Length : Encoding.UTF8.GetString(utf8).EnumerateRunes().LongCount();
        if (vocabulary.Size > MaxVocabulary) throw new ValidationException(field, $"has {vocabulary.Size} distinct symbols; at most {MaxVocabulary} are supported");
        if (vocabulary.Size < 2) throw new ValidationException(field, "has a single distinct symbol: there is nothing to predict");

        var train = (long)(codePoints * hp.TrainFraction);
        var val = (long)(codePoints * hp.ValFraction);
        var test = codePoints - train - val;
        var trainNeeds = (hp.CarryState ? (long)hp.BatchSize * hp.SeqLength : hp.SeqLength) + 1;
        var evalNeeds = (long)hp.SeqLength + 1;
        if (train < trainNeeds || val < evalNeeds || test < evalNeeds)
        {
            throw new ValidationException(field,
                $"is too small for its splits: {codePoints} symbols give train {train}, validation {val}, test {test}; " +
                $"training needs at least {trainNeeds} (batchSize x seqLength + 1) and validation and test at least {evalNeeds} (seqLength + 1)");
        }
        return (codePoints, vocabulary.Size, characters);
    }
}
