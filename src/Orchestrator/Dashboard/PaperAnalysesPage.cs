using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Data;
using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using static RnnSweep.Orchestrator.Dashboard.Format;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// <c>/sweeps/{id}/analyses</c>: Sections 4.2 and 4.3 of the paper over every analysed run of a sweep (the error
/// breakdown side by side, the small model against the large one, each run against the n-gram), and the section
/// the run page shows for one run (<see cref="RunSectionAsync"/>). Every number in the pictures is also in a table;
/// the paper's figures stand beside only for a sweep on its file with its protocol (<see cref="PaperTable1.AppliesTo"/>).
/// </summary>
public static class PaperAnalysesPage
{
    public static void MapPaperAnalysesPage(this IEndpointRouteBuilder app)
    {
        app.MapPaperAnalysesCharts();
        app.MapGet("/sweeps/{id:long}/analyses", (long id, RnnSweepDbContext db, CancellationToken ct) => RenderAsync(id, db, ct)).ExcludeFromDescription();
    }

    public static async Task<IResult> RenderAsync(long id, RnnSweepDbContext db, CancellationToken ct)
    {
        var sweep = await db.Sweeps.AsNoTracking().Where(s => s.Id == id).Select(s => new { s.Name, s.Spec, s.Corpus!.Sha256, Corpus = s.Corpus.Name }).SingleOrDefaultAsync(ct);
        if (sweep is null) return Results.NotFound();
        var paper = await AppliesAsync(sweep.Spec, sweep.Sha256);
        var data = await PaperAnalyses.LoadAsync(db, id, null, ct);
        var names = await PaperAnalysesCharts.RunNamesAsync(db, id, ct);

        var body = new StringBuilder();
        body.Append($"<section id=\"paper-analyses\" data-sweep=\"{id}\"><p class=\"crumbs\"><a href=\"/sweeps/{id}\">sweep {id}: {E(sweep.Name)}</a> ({E(sweep.Corpus)})</p>")
            .Append($"<h1>Sweep {id}: where the errors are (the paper's Sections 4.2 and 4.3)</h1>");
        if (data.IsEmpty)
        {
            body.Append("<p id=\"analyses-none\">Nothing to show yet: the error analysis needs a run's analysis (after it succeeds) and the sweep's n-gram baseline.</p></section>");
            return Page($"Sweep {id} analyses", body.ToString());
        }
        body.Append("<h2>Section 4.3: errors peeled off by oracles</h2>")
            .Append($"<img id=\"sweep-errors\" class=\"chart\" src=\"/sweeps/{id}/errors.svg\" alt=\"errors per oracle for every analysed run\" width=\"{PaperAnalysesCharts.Width}\" height=\"{PaperAnalysesCharts.Height}\">")
            .Append(OracleLegend)
            .Append(ErrorTable(data.Errors, names, paper));
        AppendScaling(body, data.Scaling, paper);

        body.Append("<h2>Section 4.2: each run against the n-gram</h2>").Append(ComparisonTable(data.Comparison, names));
        var analysed = data.Comparison.Select(c => c.RunId).ToList();
        var best = await db.Runs.AsNoTracking().Where(r => r.SweepId == id && r.TestLoss != null && analysed.Contains(r.Id))
            .OrderBy(r => r.TestLoss).Select(r => (long?)r.Id).FirstOrDefaultAsync(ct);
        if (best is { } b)
        {
            body.Append($"<p>The best analysed run, <a href=\"/runs/{b}\">{E(names.GetValueOrDefault(b))}</a> (each run's page has its own):</p>")
                .Append($"<img id=\"sweep-versus-ngram\" class=\"chart\" src=\"/runs/{b}/versus-ngram.svg\" alt=\"the best run against the n-gram\" width=\"{PaperAnalysesCharts.PanelWidth * 3}\" height=\"{PaperAnalysesCharts.Height}\">")
                .Append(ClassTable(data.Classes.Where(c => c.RunId == b).ToList()))
                .Append(CloserTable(data.Closers.Where(c => c.RunId == b).ToList()));
        }
        body.Append(SqlNote).Append("</section>");
        return Page($"Sweep {id} analyses", body.ToString());
    }

    /// <summary>The run page's section: this run's error breakdown and its comparison with the n-gram, pictures and numbers.</summary>
    public static async Task<string> RunSectionAsync(RnnSweepDbContext db, long runId, CancellationToken ct)
    {
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.SweepId, r.Sweep!.Spec, r.Sweep.Corpus!.Sha256 }).SingleOrDefaultAsync(ct);
        if (run is null) return "";
        var data = await PaperAnalyses.LoadAsync(db, run.SweepId, runId, ct);
        var body = new StringBuilder("<section id=\"run-paper-analyses\"><h2>Where the errors are (the paper's Sections 4.2 and 4.3)</h2>");
        if (data.IsEmpty)
        {
            body.Append("<p id=\"run-analyses-none\">Not analysed yet: needs this run's analysis (after it succeeds) and the sweep's n-gram baseline.</p></section>");
            return body.ToString();
        }
        var paper = await AppliesAsync(run.Spec, run.Sha256);
        body.Append($"<img id=\"run-errors\" class=\"chart\" src=\"/runs/{runId}/errors.svg\" alt=\"this run's errors per oracle\" width=\"{PaperAnalysesCharts.Width}\" height=\"{PaperAnalysesCharts.Height}\">")
            .Append(OracleLegend)
            .Append(ErrorTable(data.Errors, new Dictionary<long, string> { [runId] = "this run" }, paper))
            .Append($"<img id=\"run-versus-ngram\" class=\"chart\" src=\"/runs/{runId}/versus-ngram.svg\" alt=\"this run against the n-gram\" width=\"{PaperAnalysesCharts.PanelWidth * 3}\" height=\"{PaperAnalysesCharts.Height}\">")
            .Append(ComparisonTable(data.Comparison, new Dictionary<long, string> { [runId] = "this run" }))
            .Append(ClassTable(data.Classes))
            .Append(CloserTable(data.Closers))
            .Append($"<p class=\"legend\">The whole sweep: <a href=\"/sweeps/{run.SweepId}/analyses\">its analyses page</a>. PNG: <a href=\"/runs/{runId}/errors.png\">errors</a>, <a href=\"/runs/{runId}/versus-ngram.png\">against the n-gram</a>.</p></section>");
        return body.ToString();
    }

    private static Task<bool> AppliesAsync(string spec, string sha256)
    {
        var resolved = System.Text.Json.JsonSerializer.Deserialize<ResolvedSweep>(spec, SpecResolver.Json)!;
        return Task.FromResult(PaperTable1.AppliesTo(sha256, resolved.Hyperparameters, resolved.MatchParameters));
    }

    private const string OracleLegend =
        "<p class=\"legend\">An error is a test character given probability &lt; 0.5. Each is counted once, under the first oracle that removes it, in the paper's order: " +
        "<b>n-gram</b> (some n-gram model, n = 1..9, gives it p &ge; 0.5), <b>dynamic memory</b> (a word's second or later character, the whole word seen in the last 100/500/1000/5000 characters), " +
        "<b>rare words</b> (its word occurs at most 5 times in the train split), <b>word model</b> (after a space, a line break or a quote), <b>punctuation</b>, " +
        "<b>boost</b> (p + 0.1 .. 0.4 would reach 0.5); the rest (p &lt; 0.1) are <b>unexplained</b>.</p>";

    private const string SqlNote =
        "<p class=\"legend\">In SQL: the views <code>error_analysis</code>, <code>error_analysis_scaling</code>, <code>prediction_comparison</code>, " +
        "<code>prediction_by_class</code> and <code>closing_by_distance</code>.</p>";

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    private static IResult Page(string title, string body) =>
        new RazorComponentResult<HtmlBodyPage>(new { Title = title, Body = body }) { PreventStreamingRendering = true };

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
    private static string Percent(double share) => share.ToString("0.0%", CultureInfo.InvariantCulture);

    /// <summary>Rows: oracle steps; columns: runs; cells: errors (share of the run's errors).</summary>
    private static string ErrorTable(IReadOnlyList<PaperAnalyses.ErrorRow> rows, IReadOnlyDictionary<long, string> names, bool paper)
    {
        var runs = rows.Select(r => r.RunId).Distinct().ToList();
        var sb = new StringBuilder("<table class=\"list\" id=\"error-table\"><thead><tr><th>oracle</th>");
        foreach (var run in runs) sb.Append($"<th>{E(names.GetValueOrDefault(run, $"run {run}"))} (ours)</th>");
        if (paper) sb.Append("<th>paper, best LSTM</th>");
        sb.Append("</tr></thead><tbody>");
        for (var step = 1; step <= PaperAnalyses.Steps.Count; step++)
        {
            sb.Append($"<tr><th title=\"{E(string.Join(", ", rows.Where(r => r.Step == step).Select(r => r.Detail).Distinct()))}\">{step}. {E(PaperAnalyses.Steps[step - 1])}</th>");
            foreach (var run in runs)
            {
                var cell = rows.Where(r => r.RunId == run && r.Step == step).ToList();
                sb.Append($"<td data-run=\"{run}\" data-step=\"{step}\" data-errors=\"{cell.Sum(r => r.Errors)}\">{Count(cell.Sum(r => r.Errors))} ({Percent(cell.Sum(r => r.Share))})</td>");
            }
            if (paper) sb.Append($"<td class=\"paper\">{(PaperAnalyses.PaperLargeShares[step - 1] is { } s ? Percent(s) : "")}</td>");
            sb.Append("</tr>");
        }
        sb.Append("<tr><th>all errors</th>");
        foreach (var run in runs)
        {
            var r = rows.First(x => x.RunId == run);
            sb.Append($"<td data-run=\"{run}\" data-total=\"{r.TotalErrors}\">{Count(r.TotalErrors)} of {Count(r.Characters)} ({Percent((double)r.TotalErrors / Math.Max(1, r.Characters))})</td>");
        }
        if (paper) sb.Append($"<td class=\"paper\">140K of 330K ({Percent(PaperAnalyses.PaperLargeErrorRate)})</td>");
        sb.Append("</tr></tbody></table>");
        // The details behind each step (which n, which window, how rare, after what).
        sb.Append("<details><summary>Each step's details</summary><table class=\"list\" id=\"error-details\"><thead><tr><th>run</th><th>oracle</th><th>detail</th><th>errors</th><th>share</th></tr></thead><tbody>");
        foreach (var r in rows) sb.Append($"<tr><td>{r.RunId}</td><td>{E(r.Category)}</td><td>{E(r.Detail)}</td><td>{Count(r.Errors)}</td><td>{Percent(r.Share)}</td></tr>");
        sb.Append("</tbody></table></details>");
        return sb.ToString();
    }

    private static void AppendScaling(StringBuilder body, IReadOnlyList<PaperAnalyses.ScalingRow> rows, bool paper)
    {
        body.Append("<h3>The small model against the large one</h3>");
        if (rows.Count == 0)
        {
            body.Append("<p id=\"scaling-none\">Needs two analysed runs of one model type with different parameter counts.</p>");
            return;
        }
        foreach (var pair in rows.GroupBy(r => (r.Model, r.SmallRun, r.LargeRun)))
        {
            var first = pair.First();
            var small = pair.Sum(r => r.SmallErrors);
            var large = pair.Sum(r => r.LargeErrors);
            body.Append($"<p>{E(pair.Key.Model)}: <a href=\"/runs/{first.SmallRun}\">run {first.SmallRun}</a> ({Count(first.SmallParameters)} parameters) made {Count(small)} errors, ")
                .Append($"<a href=\"/runs/{first.LargeRun}\">run {first.LargeRun}</a> ({Count(first.LargeParameters)} parameters) {Count(large)}: {Count(small - large)} fewer.");
            if (paper) body.Append($" The paper: its small LSTM made 44K more errors than its best; {Percent(PaperAnalyses.PaperScalingNGramShare)} of them n-gram errors, {Percent(PaperAnalyses.PaperScalingBoostShare)} boost.");
            body.Append($"</p><table class=\"list scaling\" data-model=\"{E(pair.Key.Model)}\"><thead><tr><th>oracle</th><th>small (ours)</th><th>large (ours)</th><th>difference</th><th>share of the difference</th></tr></thead><tbody>");
            foreach (var r in pair.OrderBy(r => r.Step))
            {
                body.Append($"<tr><th>{r.Step}. {E(r.Category)}</th><td>{Count(r.SmallErrors)}</td><td>{Count(r.LargeErrors)}</td><td data-step=\"{r.Step}\">{Count(r.Difference)}</td><td>{(r.ShareOfDifference is { } s ? Percent(s) : "")}</td></tr>");
            }
            body.Append("</tbody></table>");
        }
    }

    private static string ComparisonTable(IReadOnlyList<PaperAnalyses.ComparisonRow> rows, IReadOnlyDictionary<long, string> names)
    {
        var sb = new StringBuilder("<table class=\"list\" id=\"comparison-table\"><thead><tr><th>run</th><th>characters</th><th>mean p, model</th><th>mean p, n-gram</th>" +
            "<th>errors, model</th><th>errors, n-gram</th><th>both</th><th>model only</th><th>n-gram only</th></tr></thead><tbody>");
        foreach (var c in rows)
        {
            sb.Append($"<tr data-run=\"{c.RunId}\"><td>{E(names.GetValueOrDefault(c.RunId, $"run {c.RunId}"))}</td><td>{Count(c.Characters)}</td><td>{Num(c.MeanPModel, "0.000")}</td>")
                .Append($"<td>{Num(c.MeanPNgram, "0.000")} ({c.NgramOrder}-gram)</td><td>{Count(c.ErrorsModel)}</td><td>{Count(c.ErrorsNgram)}</td>")
                .Append($"<td data-overlap=\"both\">{Count(c.ErrorsBoth)}</td><td data-overlap=\"model\">{Count(c.ErrorsModelOnly)}</td><td data-overlap=\"ngram\">{Count(c.ErrorsNgramOnly)}</td></tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    private static string ClassTable(IReadOnlyList<PaperAnalyses.ClassRow> rows)
    {
        var sb = new StringBuilder("<table class=\"list\" id=\"class-table\"><thead><tr><th>character class</th><th>occurrences</th><th>mean p, model</th><th>mean p, n-gram</th><th>errors, model</th><th>errors, n-gram</th></tr></thead><tbody>");
        foreach (var r in rows)
        {
            sb.Append($"<tr data-class=\"{E(r.CharacterClass)}\"><td>{E(r.CharacterClass)}</td><td>{Count(r.Occurrences)}</td><td>{Num(r.MeanPModel, "0.000")}</td><td>{Num(r.MeanPNgram, "0.000")}</td>")
                .Append($"<td>{Count(r.ErrorsModel)}</td><td>{Count(r.ErrorsNgram)}</td></tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    private static string CloserTable(IReadOnlyList<PaperAnalyses.CloserRow> rows)
    {
        var sb = new StringBuilder("<table class=\"list\" id=\"closer-table\"><thead><tr><th>closer</th><th>distance to the opener</th><th>occurrences</th><th>mean p, model</th><th>mean p, n-gram</th><th>mean ln(p model / p n-gram)</th></tr></thead><tbody>");
        foreach (var r in rows)
        {
            sb.Append($"<tr data-closer=\"{E(r.Closer)}\" data-from=\"{r.DistanceFrom}\"><td>{E(r.Closer)}</td><td>{r.DistanceFrom}-{r.DistanceTo}</td><td>{Count(r.Occurrences)}</td>")
                .Append($"<td>{Num(r.MeanPModel, "0.000")}</td><td>{Num(r.MeanPNgram, "0.000")}</td><td>{Num(r.MeanLogRatio, "0.000")}</td></tr>");
        }
        sb.Append("</tbody></table><p class=\"legend\">The paper (Linux kernel, closing braces) finds the LSTM's advantage over the 20-gram growing with the distance to the opening brace up to about 60 characters.</p>");
        return sb.ToString();
    }
}
