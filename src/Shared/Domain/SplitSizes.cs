namespace RnnSweep.Shared.Domain;

/// <summary>
/// How a corpus of N symbols is cut into train, validation and test splits (see <see cref="Hyperparameters.SplitLayout"/>),
/// and whether each is large enough. One rule for the Orchestrator (reject at submission) and the Worker.
/// </summary>
public static class SplitSizes
{
    /// <summary>Input symbols of each split: in the <c>streams</c> layout, per stream times batchSize.</summary>
    public static (long Train, long Validation, long Test) Of(long symbols, Hyperparameters hp)
    {
        if (hp.SplitLayout != SplitLayouts.Streams) return Fractions(symbols, hp);
        var (train, validation, test) = StreamParts(symbols, hp);
        return (train * hp.BatchSize, validation * hp.BatchSize, test * hp.BatchSize);
    }

    /// <summary>
    /// In the <c>streams</c> layout: the input symbols of each stream, and of its train, validation and test parts.
    /// Every part also reads the symbol after it as its last target, as char-rnn's loader does; hence the - 1,
    /// which keeps that symbol inside the corpus for the last stream.
    /// </summary>
    public static long StreamLength(long symbols, Hyperparameters hp) => Math.Max(0, symbols - 1) / hp.BatchSize;

    /// <inheritdoc cref="StreamLength(long, Hyperparameters)"/>
    public static (long Train, long Validation, long Test) StreamParts(long symbols, Hyperparameters hp) =>
        Fractions(StreamLength(symbols, hp), hp);

    private static (long Train, long Validation, long Test) Fractions(long symbols, Hyperparameters hp)
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
        // In the streams layout each part carries its own last target, so batchSize inputs make one step.
        var extra = hp.SplitLayout == SplitLayouts.Streams ? 0 : 1;
        var errors = new List<FieldError>();
        var trainNeeds = (long)hp.BatchSize * hp.SeqLength + extra;
        if (train < trainNeeds)
        {
            errors.Add(new FieldError(corpusField,
                $"is too small: {symbols} symbols give a train split of {train}, fewer than batchSize x seqLength{(extra == 1 ? " + 1" : "")} = {trainNeeds}; " +
                "use a larger corpus, a larger hyperparameters.trainFraction or smaller batchSize/seqLength"));
        }
        void CheckEval(long length, string fraction, string name)
        {
            if (length < hp.BatchSize + extra)
            {
                errors.Add(new FieldError(corpusField,
                    $"is too small: {symbols} symbols give a {name} split of {length}, fewer than batchSize{(extra == 1 ? " + 1" : "")} = {hp.BatchSize + extra}; " +
                    $"raise hyperparameters.{fraction} or lower batchSize"));
            }
        }
        CheckEval(validation, "valFraction", "validation");
        CheckEval(test, "testFraction", "test");
        return errors;
    }
}
