using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Hosting;
using RnnSweep.Worker.Stores;
using Serilog.Context;

namespace RnnSweep.Worker.Jobs;

/// <summary>
/// The paper's n-gram baseline for a sweep: trained on its train split, scored on its test split (the same targets as
/// the runs' test loss), by default with interpolated modified Kneser-Ney (<see cref="KneserNeyModel"/>).
/// </summary>
public sealed class NGramBaselineJob(RunStore runs, AnalysisStore analyses, Hosting.WorkerOptions options, ILogger<NGramBaselineJob> log) : INGramBaselineJob
{
    public const int MaxOrder = 20;

    public async Task ComputeAsync(long sweepId, CancellationToken cancellationToken)
    {
        using var _ = LogContext.PushProperty("SweepId", sweepId);
        // Every run of a sweep shares its corpus and splits: any one of them describes the data.
        var run = await DbRetry.RunAsync(() => runs.FindAnyOfSweepAsync(sweepId, cancellationToken), log, cancellationToken);
        if (run is null) return;
        var data = await RunData.LoadAsync(runs, run, options.CacheDir, log, cancellationToken, $"the n-gram baseline of sweep {sweepId}");
        var smoothing = NGramSmoothingNames.Parse(options.NGramSmoothing);
        var test = data.Splits.Test;
        // Section 4.2 of the paper compares the models with the n-gram character by character.
        // Section 4.3 peels errors off with the 1- to 9-gram models and facts about the text (TestOracles).
        float[]? probabilities = null;
        short[]? oracleOrders = null;
        if (smoothing == NGramSmoothing.ModifiedKneserNey)
        {
            probabilities = new float[test.Length];
            Array.Fill(probabilities, float.NaN);
            oracleOrders = new short[test.Length];
        }
        NGramReport report;
        try
        {
            report = NGramModel.Run(data.Splits.Train, test, data.Vocabulary.Size, MaxOrder, options.NGramMemoryBytes, smoothing, probabilities, oracleOrders);
        }
        finally
        {
            // why: the counts (up to NGramMemoryBytes of large arrays) are garbage now; collected only when the GC next
            // runs, they would stay resident beside the training run this Worker starts next.
            FreedMemory.Return(compactLargeObjects: true);
        }
        var predictions = probabilities is null ? null : new AnalysisStore.CharPredictions(report.ComputedOrder,
            [.. Enumerable.Range(0, (int)test.Length).Select(i => data.Vocabulary.Symbols[test[i]])], probabilities);
        var oracles = oracleOrders is null ? null : TestOracles.Compute(data.Splits.Train, test, data.Vocabulary.Symbols, oracleOrders);
        await DbRetry.RunAsync(async () => { await analyses.SaveNGramBaselineAsync(sweepId, report, predictions, oracles, cancellationToken); return 0; }, log, cancellationToken);
        log.LogInformation("Sweep {SweepId} n-gram baseline: orders 1..{Order}, best {Best:0.000} {LossUnit} ({Smoothing}){Stop}", sweepId,
            report.ComputedOrder, report.Losses.Min(l => l.CrossEntropy), VocabularyKinds.LossUnit(data.Hyperparameters.Vocabulary), report.Smoothing, report.StopReason is null ? "" : $"; {report.StopReason}");
    }
}
