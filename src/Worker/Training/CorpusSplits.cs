using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Training;

/// <summary>The corpus cut into contiguous train, validation and test splits, in that order (as char-rnn).</summary>
public sealed record CorpusSplits(EncodedText Train, EncodedText Validation, EncodedText Test, int VocabularySize)
{
    /// <summary>
    /// Splits by the hyperparameters' fractions; the test split takes the rounding remainder.
    /// Throws <see cref="ValidationException"/> naming the fraction field when a split is too small:
    /// training needs one full batch (batchSize x seqLength inputs plus one target),
    /// validation and test need one step per stream (batchSize + 1).
    /// </summary>
    public static CorpusSplits From(EncodedText text, int vocabularySize, Hyperparameters hp)
    {
        var trainLength = (long)Math.Floor(text.Length * hp.TrainFraction);
        var valLength = (long)Math.Floor(text.Length * hp.ValFraction);
        var testLength = text.Length - trainLength - valLength;

        var errors = new List<FieldError>();
        var trainNeeds = (long)hp.BatchSize * hp.SeqLength + 1;
        if (trainLength < trainNeeds)
        {
            errors.Add(new FieldError("hyperparameters.trainFraction",
                $"the train split has {trainLength} characters, fewer than batchSize x seqLength + 1 = {trainNeeds}; use a larger corpus or smaller batchSize/seqLength"));
        }
        void CheckEval(long length, string field, string name)
        {
            if (length < hp.BatchSize + 1)
            {
                errors.Add(new FieldError(field,
                    $"the {name} split has {length} characters, fewer than batchSize + 1 = {hp.BatchSize + 1}; raise {field.Split('.')[^1]} or lower batchSize"));
            }
        }
        CheckEval(valLength, "hyperparameters.valFraction", "validation");
        CheckEval(testLength, "hyperparameters.testFraction", "test");
        if (errors.Count > 0) throw new ValidationException(errors);

        return new CorpusSplits(
            text.Slice(0, trainLength),
            text.Slice(trainLength, valLength),
            text.Slice(trainLength + valLength, testLength),
            vocabularySize);
    }
}
