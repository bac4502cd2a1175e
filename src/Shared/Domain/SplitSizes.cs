namespace RnnSweep.Shared.Domain;

/// <summary>
/// How a corpus of N symbols is cut into contiguous train, validation and test splits (in that order, as char-rnn),
/// and whether each is large enough. One rule for the Orchestrator (reject at submission) and the Worker.
/// </summary>
public static class SplitSizes
{
    public static (long Train, long Validation, long Test) Of(long symbols, Hyperparameters hp)
    {
        var train = (long)Math.Floor(symbols * hp.TrainFraction);
        var validation = (long)Math.Floor(symbols * hp.ValFraction);
        return (train, validation, symbols - train - validation);
    }

    /// <summary>
    /// Training needs one full batch (batchSize x seqLength inputs plus one target); validation and test need one
    /// step per stream (batchSize + 1). Errors name the fraction to raise.
    /// </summary>
    public static IReadOnlyList<FieldError> Check(long symbols, Hyperparameters hp, string corpusField = "corpus")
    {
        var (train, validation, test) = Of(symbols, hp);
        var errors = new List<FieldError>();
        var trainNeeds = (long)hp.BatchSize * hp.SeqLength + 1;
        if (train < trainNeeds)
        {
            errors.Add(new FieldError(corpusField,
                $"is too small: {symbols} symbols give a train split of {train}, fewer than batchSize x seqLength + 1 = {trainNeeds}; " +
                "use a larger corpus, a larger hyperparameters.trainFraction or smaller batchSize/seqLength"));
        }
        void CheckEval(long length, string fraction, string name)
        {
            if (length < hp.BatchSize + 1)
            {
                errors.Add(new FieldError(corpusField,
                    $"is too small: {symbols} symbols give a {name} split of {length}, fewer than batchSize + 1 = {hp.BatchSize + 1}; " +
                    $"raise hyperparameters.{fraction} or lower batchSize"));
            }
        }
        CheckEval(validation, "valFraction", "validation");
        CheckEval(test, "testFraction", "test");
        return errors;
    }
}
