using System.Text;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Api;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;
using static RnnSweep.Orchestrator.Dashboard.Html;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// <c>/sweeps/{id}</c>: the test, validation and train loss tables laid out as the paper's Table 1, colour-scaled,
/// each cell with its status; the n-gram baseline and, for a sweep on the paper's file with its protocol only, the
/// paper's numbers beside, labelled "paper" and "ours".
/// Rendered whole on the server in one pass over the loss table (two queries), so a 10,000-run sweep is one
/// request; <c>sweep.js</c> then patches cells from <c>GET /api/sweeps/{id}/live</c>, which returns only the
/// cells that can still change.
/// </summary>
public static class SweepPage
{
    public static async Task<IResult> RenderAsync(long id, RnnSweepDbContext db, CancellationToken ct)
    {
        var table = await LossTable.LoadAsync(db, id, ct);
        if (table is null) return Results.NotFound();
        var summary = (await SweepApi.Summaries(db, id, ct)).Single();
        var ngram = await db.NGramBaselines.AsNoTracking().Where(n => n.SweepId == id).OrderBy(n => n.Order)
            .Select(n => new NGramRow(n.Order, n.Smoothing, n.TestLoss)).ToListAsync(ct);
        // The loss table carries the stop reason; a failed cell's tooltip shows its error.
        var errors = await db.Runs.AsNoTracking().Where(r => r.SweepId == id && r.Error != null)
            .Select(r => new { r.Id, r.Error }).ToDictionaryAsync(r => r.Id, r => r.Error!, ct);
        var sweep = await db.Sweeps.AsNoTracking().Where(s => s.Id == id).Select(s => new { s.Spec, s.Corpus!.Sha256 }).SingleAsync(ct);
        var resolved = System.Text.Json.JsonSerializer.Deserialize<ResolvedSweep>(sweep.Spec, SpecResolver.Json)!;
        var paper = PaperTable1.AppliesTo(sweep.Sha256, resolved.Hyperparameters, resolved.MatchParameters);
        return Page($"Sweep {table.Sweep}", Render(table, summary, ngram, DateTimeOffset.UtcNow, errors, paper), "sweep.js");
    }

    public sealed record NGramRow(int Order, string Smoothing, double TestLoss);

    /// <param name="paper">Show the paper's numbers beside ("paper" vs "ours"): only for its file and protocol (<see cref="PaperTable1.AppliesTo"/>).</param>
    public static string Render(LossTable table, SweepSummary summary, IReadOnlyList<NGramRow> ngram, DateTimeOffset now,
        IReadOnlyDictionary<long, string>? errors = null, bool paper = false)
    {
        var best = table.Best();
        var cells = table.Rows.Sum(r => r.Cells.Count(c => c is not null));
        var body = new StringBuilder(4096 + cells * 400);
        var maxEpochs = table.Rows.SelectMany(r => r.Cells).FirstOrDefault(c => c is not null)?.MaxEpochs ?? 0;
        body.Append($"<section id=\"sweep\" data-sweep=\"{table.SweepId}\" data-now=\"{now:O}\" data-max-epochs=\"{maxEpochs}\">")
            .Append($"<h1>Sweep {table.SweepId}: {E(table.Sweep)}</h1>")
            .Append($"<p>corpus <b>{E(table.Corpus)}</b> · queue <b>{E(summary.Queue)}</b> · submitted {summary.CreatedAt:yyyy-MM-dd HH:mm} UTC · {cells} cells · ")
            .Append("<a href=\"/hangfire/jobs/enqueued\">its jobs in Hangfire</a> · ")
            .Append($"<a href=\"/api/sweeps/{table.SweepId}/loss-table\">loss table as JSON</a> · <a id=\"analyses-link\" href=\"/sweeps/{table.SweepId}/analyses\">where the errors are (Sections 4.2, 4.3)</a></p>")
            .Append($"<div class=\"status-line\"><span id=\"counts\">{SweepListPage.StatusCounts(summary.Runs)}</span> <span id=\"progress\">{SweepListPage.ProgressBar(summary.Runs)}</span></div>")
            .Append("<p class=\"actions\"><button id=\"cancel\" data-url=\"/api/sweeps/").Append(table.SweepId).Append("/cancel\">Cancel queued and running cells</button> ")
            .Append("<button id=\"resume\" data-url=\"/api/sweeps/").Append(table.SweepId).Append("/resume\">Resume unfinished cells</button> <span id=\"action-result\" role=\"status\"></span></p>");
        if (best is not null) body.Append($"<p>Best cell: <a href=\"/runs/{best.RunId}\">run {best.RunId}</a>, test loss <b id=\"best-loss\">{Loss(best.TestLoss)}</b> (marked ★).</p>");

        body.Append("<div class=\"side-by-side\"><div>");
        AppendTable(body, table, "test", paper ? "Test loss (ours)" : "Test loss", c => c.TestLoss, best, errors);
        body.Append("</div><div>");
        AppendNGram(body, ngram);
        if (paper) AppendPaper(body);
        body.Append("</div></div>");
        if (paper) AppendComparison(body, table, best, ngram);
        AppendTable(body, table, "val", "Validation loss", c => c.ValLoss, best, errors);
        AppendTable(body, table, "train", "Train loss", c => c.TrainLoss, best, errors);
        body.Append("<p class=\"legend\">Nats per character of each cell's best checkpoint (full passes, dropout off); greener is lower. ")
            .Append("Rows: hidden size (the LSTM's when parameter counts are matched); columns: model × layers. Click a cell for its run.</p></section>");
        return body.ToString();
    }

    private static void AppendTable(StringBuilder body, LossTable table, string key, string title, Func<LossCell, double?> pick, LossCell? best,
        IReadOnlyDictionary<long, string>? errors)
    {
        var values = table.Rows.SelectMany(r => r.Cells).Where(c => c is not null).Select(c => pick(c!)).OfType<double>().Where(double.IsFinite).ToList();
        var (min, max) = values.Count > 0 ? (values.Min(), values.Max()) : (0, 0);
        body.Append($"<h2>{title}</h2><table class=\"loss\" data-loss=\"{key}\"><thead><tr><th rowspan=\"2\">size</th>");
        foreach (var group in Groups(table.Columns)) body.Append($"<th colspan=\"{group.Count}\">{E(group.Model.ToUpperInvariant())}</th>");
        body.Append("</tr><tr>");
        foreach (var c in table.Columns) body.Append($"<th data-column=\"{E(c.Label)}\">{c.Layers} layer{(c.Layers == 1 ? "" : "s")}</th>");
        body.Append("</tr></thead><tbody>");
        foreach (var row in table.Rows)
        {
            body.Append("<tr><th>").Append(row.Size).Append("</th>");
            foreach (var cell in row.Cells) AppendCell(body, cell, pick, min, max, cell is not null && cell == best, errors);
            body.Append("</tr>");
        }
        body.Append("</tbody></table>");
    }

    private static void AppendCell(StringBuilder body, LossCell? cell, Func<LossCell, double?> pick, double min, double max, bool best,
        IReadOnlyDictionary<long, string>? errors)
    {
        if (cell is null)
        {
            body.Append("<td class=\"empty\"></td>");
            return;
        }
        var value = pick(cell);
        body.Append("<td class=\"s-").Append(cell.Status).Append(best ? " best" : "").Append("\" data-run=\"").Append(cell.RunId)
            .Append("\" data-status=\"").Append(cell.Status).Append('"');
        if (value is { } v) body.Append(" data-v=\"").Append(Loss(v)).Append("\" style=\"background:").Append(Colour(v, min, max)).Append('"');
        var title = cell.Status switch
        {
            RunStatus.Failed or RunStatus.Diverged => errors?.GetValueOrDefault(cell.RunId) ?? cell.StopReason ?? cell.Status,
            RunStatus.Running => $"running: epoch {CurrentEpoch(cell)} of {cell.MaxEpochs}{(cell.LeaseNote is null ? "" : ", " + cell.LeaseNote)}",
            _ => cell.StopReason ?? cell.Status,
        };
        body.Append(" title=\"").Append(E($"run {cell.RunId}, {cell.Hidden} hidden: {title}")).Append("\"><a href=\"/runs/").Append(cell.RunId).Append("\">")
            .Append(CellText(cell, value)).Append(best ? " ★" : "").Append("</a>");
        if (cell.Status == RunStatus.Running)
        {
            body.Append("<span class=\"bar\"><i style=\"width:").Append(Num(100.0 * cell.EpochsDone / Math.Max(1, cell.MaxEpochs), "0.#")).Append("%\"></i></span>");
        }
        body.Append("</td>");
    }

    private static string CellText(LossCell cell, double? value) => value is not null
        ? Loss(value)
        : cell.Status == RunStatus.Running ? $"epoch {CurrentEpoch(cell)}/{cell.MaxEpochs}{(cell.LeaseNote is null ? "" : " · " + cell.LeaseNote)}" : cell.Status;

    /// <summary>The epoch being trained: one past those done, at most the last.</summary>
    private static int CurrentEpoch(LossCell cell) => Math.Min(cell.EpochsDone + 1, cell.MaxEpochs);

    /// <summary>Green for the lowest value of the table, red for the highest (sweep.js uses the same scale).</summary>
    public static string Colour(double value, double min, double max)
    {
        var t = max > min ? (value - min) / (max - min) : 0;
        return $"hsl({Num(120 * (1 - t), "0")},60%,82%)";
    }

    private static IEnumerable<(string Model, int Count)> Groups(IReadOnlyList<LossColumn> columns)
    {
        var i = 0;
        while (i < columns.Count)
        {
            var j = i;
            while (j < columns.Count && columns[j].Model == columns[i].Model) j++;
            yield return (columns[i].Model, j - i);
            i = j;
        }
    }

    private static void AppendNGram(StringBuilder body, IReadOnlyList<NGramRow> ngram)
    {
        body.Append("<h2>n-gram baseline</h2><table class=\"list\" id=\"ngram\"><thead><tr><th>order</th><th>test loss</th></tr></thead><tbody>");
        if (ngram.Count == 0) body.Append("<tr><td colspan=\"2\">not computed yet</td></tr>");
        var bestOrder = ngram.MinBy(n => n.TestLoss);
        foreach (var n in ngram)
        {
            body.Append($"<tr{(n == bestOrder ? " class=\"best\"" : "")}><td>{n.Order}</td><td title=\"{E(n.Smoothing)}\">{Loss(n.TestLoss)}</td></tr>");
        }
        body.Append("</tbody></table>");
    }

    /// <summary>Each of our cells beside the paper's value, and the 20-gram and best model, labelled "paper" and "ours".</summary>
    private static void AppendComparison(StringBuilder body, LossTable table, LossCell? best, IReadOnlyList<NGramRow> ngram)
    {
        body.Append("<h2>Paper vs ours</h2><table class=\"list\" id=\"paper-vs-ours\"><thead><tr><th>cell</th><th>paper</th><th>ours</th><th>ours − paper</th></tr></thead><tbody>");
        void Row(string label, double paper, double? ours) =>
            body.Append($"<tr><td>{E(label)}</td><td>{Loss(paper)}</td><td>{(ours is { } o ? Loss(o) : "")}</td><td>{(ours is { } d ? Num(d - paper, "+0.000;−0.000;0.000") : "")}</td></tr>");
        foreach (var row in table.Rows)
        {
            for (var c = 0; c < table.Columns.Count; c++)
            {
                var column = table.Columns[c];
                if (PaperTable1.Lookup(column.Model, column.Layers, row.Size) is not { } paper) continue;
                var cell = row.Cells[c];
                Row($"{column.Model.ToUpperInvariant()} {column.Layers} layer{(column.Layers == 1 ? "" : "s")}, size {row.Size}", paper,
                    cell?.Status == RunStatus.Succeeded ? cell.TestLoss : null);
            }
        }
        Row("20-gram (n-gram baseline)", PaperTable1.TwentyGram, ngram.FirstOrDefault(n => n.Order == 20)?.TestLoss);
        Row("best model", PaperTable1.BestModel, best?.TestLoss);
        body.Append("</tbody></table><p class=\"legend\">paper: Karpathy et al. 2015, Table 1 and text; ours: this sweep's test loss of each cell's best checkpoint ")
            .Append("and its n-gram baseline, both nats per byte of the same file with char-rnn's split.</p>");
    }

    private static void AppendPaper(StringBuilder body)
    {
        body.Append("<h2>Table 1 (paper)</h2><p class=\"legend\">paper: War and Peace test loss, nats per byte, Karpathy et al. 2015 (arXiv:1506.02078)</p>")
            .Append("<table class=\"loss paper\"><thead><tr><th rowspan=\"2\">size</th>");
        var columns = Dashboard.PaperTable1.WarAndPeace;
        foreach (var model in columns.Select(c => c.Model).Distinct()) body.Append($"<th colspan=\"3\">{model.ToUpperInvariant()}</th>");
        body.Append("</tr><tr>");
        foreach (var c in columns) body.Append($"<th>{c.Layers}</th>");
        body.Append("</tr></thead><tbody>");
        var all = columns.SelectMany(c => c.TestLoss).ToList();
        var (min, max) = (all.Min(), all.Max());
        for (var row = 0; row < Dashboard.PaperTable1.Sizes.Count; row++)
        {
            body.Append($"<tr><th>{Dashboard.PaperTable1.Sizes[row]}</th>");
            foreach (var c in columns) body.Append($"<td style=\"background:{Colour(c.TestLoss[row], min, max)}\">{Loss(c.TestLoss[row])}</td>");
            body.Append("</tr>");
        }
        body.Append("</tbody></table>");
    }
}
