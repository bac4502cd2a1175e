using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// Sections 4.2 and 4.3 of the paper for the dashboard: rows of the views <c>error_analysis</c>,
/// <c>error_analysis_scaling</c>, <c>prediction_comparison</c>, <c>prediction_by_class</c> and
/// <c>closing_by_distance</c> for one sweep or one run, and what the paper reports beside them.
/// </summary>
public static class PaperAnalyses
{
    /// <summary>The oracle steps of <c>error_analysis</c>, in the paper's order (its <c>step</c> is the index + 1).</summary>
    public static readonly IReadOnlyList<string> Steps = ["n-gram", "dynamic memory", "rare words", "word model", "punctuation", "boost", "unexplained"];

    /// <summary>One step and detail of a run's error breakdown; <see cref="Share"/> of the run's <see cref="TotalErrors"/>.</summary>
    public sealed record ErrorRow(long RunId, long Characters, long TotalErrors, int Step, string Category, int DetailOrder, string Detail, long Errors, double Share);
    /// <summary>A run's best checkpoint against the sweep's n-gram over the test split (errors: p &lt; 0.5).</summary>
    public sealed record ComparisonRow(long RunId, int NgramOrder, long Characters, double MeanPModel, double MeanPNgram, long ErrorsModel, long ErrorsNgram,
        long ErrorsBoth, long ErrorsModelOnly, long ErrorsNgramOnly);
    public sealed record ClassRow(long RunId, short ClassId, string CharacterClass, long Occurrences, double MeanPModel, double MeanPNgram, long ErrorsModel, long ErrorsNgram);
    /// <summary>Closers <see cref="DistanceFrom"/> .. <see cref="DistanceTo"/> symbols after their opener; <see cref="MeanLogRatio"/> = mean of ln p_model - ln p_ngram.</summary>
    public sealed record CloserRow(long RunId, string Closer, int DistanceFrom, int DistanceTo, long Occurrences, double MeanPModel, double MeanPNgram, double MeanLogRatio);
    public sealed record ScalingRow(string Model, long SmallRun, long SmallParameters, long LargeRun, long LargeParameters, int Step, string Category,
        long SmallErrors, long LargeErrors, long Difference, double? ShareOfDifference);

    /// <summary>Everything of one sweep (every analysed run), or of one run when <paramref name="runId"/> is given.</summary>
    public sealed record Data(IReadOnlyList<ErrorRow> Errors, IReadOnlyList<ComparisonRow> Comparison, IReadOnlyList<ClassRow> Classes,
        IReadOnlyList<CloserRow> Closers, IReadOnlyList<ScalingRow> Scaling)
    {
        public bool IsEmpty => Errors.Count == 0 && Comparison.Count == 0;
    }

    public static async Task<Data> LoadAsync(RnnSweepDbContext db, long sweepId, long? runId, CancellationToken ct)
    {
        var run = runId ?? -1;
        var errors = await db.Database.SqlQuery<ErrorRow>($"""
            select run_id as "RunId", characters as "Characters", total_errors as "TotalErrors", step as "Step", category as "Category",
                   detail_order as "DetailOrder", detail as "Detail", errors as "Errors", share as "Share"
            from error_analysis where sweep_id = {sweepId} and ({run} < 0 or run_id = {run}) order by run_id, step, detail_order
            """).ToListAsync(ct);
        var comparison = await db.Database.SqlQuery<ComparisonRow>($"""
            select run_id as "RunId", ngram_order as "NgramOrder", characters as "Characters", mean_p_model as "MeanPModel", mean_p_ngram as "MeanPNgram",
                   errors_model as "ErrorsModel", errors_ngram as "ErrorsNgram", errors_both as "ErrorsBoth",
                   errors_model_only as "ErrorsModelOnly", errors_ngram_only as "ErrorsNgramOnly"
            from prediction_comparison where sweep_id = {sweepId} and ({run} < 0 or run_id = {run}) order by run_id
            """).ToListAsync(ct);
        var classes = await db.Database.SqlQuery<ClassRow>($"""
            select run_id as "RunId", class_id as "ClassId", character_class as "CharacterClass", occurrences as "Occurrences",
                   mean_p_model as "MeanPModel", mean_p_ngram as "MeanPNgram", errors_model as "ErrorsModel", errors_ngram as "ErrorsNgram"
            from prediction_by_class where sweep_id = {sweepId} and ({run} < 0 or run_id = {run}) order by run_id, class_id
            """).ToListAsync(ct);
        var closers = await db.Database.SqlQuery<CloserRow>($"""
            select run_id as "RunId", closer as "Closer", distance_from as "DistanceFrom", distance_to as "DistanceTo", occurrences as "Occurrences",
                   mean_p_model as "MeanPModel", mean_p_ngram as "MeanPNgram", mean_log_ratio as "MeanLogRatio"
            from closing_by_distance where sweep_id = {sweepId} and ({run} < 0 or run_id = {run}) order by run_id, closer, distance_from
            """).ToListAsync(ct);
        var scaling = runId is not null ? [] : await db.Database.SqlQuery<ScalingRow>($"""
            select model as "Model", small_run as "SmallRun", small_parameters as "SmallParameters", large_run as "LargeRun", large_parameters as "LargeParameters",
                   step as "Step", category as "Category", small_errors as "SmallErrors", large_errors as "LargeErrors", difference as "Difference",
                   share_of_difference as "ShareOfDifference"
            from error_analysis_scaling where sweep_id = {sweepId} order by model, step
            """).ToListAsync(ct);
        return new Data(errors, comparison, classes, closers, scaling);
    }

    /// <summary>
    /// What Section 4.3 of the paper reports for War and Peace (text and Figure 6): its best LSTM made 140K errors on
    /// 330K test characters (42 %); of these the n-gram oracle removes 18 %, dynamic memory 6 %, rare words 9 %, and
    /// 37 % follow a space, a quote or a newline (the word model). Its small LSTM (the 50K-parameter row) made 184K
    /// (56 %): of the 44K more, 36K (81 %) are n-gram errors, 5K boost and the remaining 3K spread over the rest.
    /// Shares per step; null where the paper gives no number in its text.
    /// </summary>
    public static readonly IReadOnlyList<double?> PaperLargeShares = [0.18, 0.06, 0.09, 0.37, null, null, null];
    public const double PaperLargeErrorRate = 0.42;
    public const double PaperSmallErrorRate = 0.56;
    /// <summary>The paper's small-against-large: the share of the 44K extra errors that are n-gram errors, and boost.</summary>
    public const double PaperScalingNGramShare = 36.0 / 44.0;
    public const double PaperScalingBoostShare = 5.0 / 44.0;
}
