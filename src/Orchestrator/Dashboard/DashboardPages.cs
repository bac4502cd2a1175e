using System.Globalization;
using System.Net;
using System.Text;
using RnnSweep.Orchestrator.Api;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Data;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>The results dashboard: server-rendered pages over the same queries as the API.</summary>
public static class DashboardPages
{
    public static void MapDashboardPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", async (RnnSweepDbContext db, CancellationToken ct) =>
        {
            var sweeps = await SweepApi.Summaries(db, null, ct);
            var body = new StringBuilder("<h1>Sweeps</h1><table class=grid><tr><th>id</th><th>sweep</th><th>corpus</th><th>runs</th><th>created</th></tr>");
            foreach (var s in sweeps)
            {
                var runs = string.Join(", ", s.Runs.Where(kv => kv.Value > 0).Select(kv => $"{kv.Value} {kv.Key}"));
                body.Append($"<tr><td>{s.Id}</td><td><a href=\"/sweeps/{s.Id}\">{E(s.Name)}</a></td><td>{E(s.Corpus)}</td><td>{E(runs)}</td><td>{s.CreatedAt:u}</td></tr>");
            }
            body.Append("</table>");
            return Page("Sweeps", body.ToString());
        });

        app.MapGet("/sweeps/{id:long}", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
        {
            var table = await LossTable.LoadAsync(db, id, ct);
            if (table is null) return Results.NotFound();
            var body = new StringBuilder($"<h1>Sweep {table.SweepId}: {E(table.Sweep)}</h1><p>corpus {E(table.Corpus)}</p>");
            foreach (var (title, pick) in new (string, Func<LossCell, double?>)[] { ("Test loss", c => c.TestLoss), ("Validation loss", c => c.ValLoss), ("Train loss", c => c.TrainLoss) })
            {
                body.Append($"<h2>{title} (nats per character)</h2><table class=\"grid loss\" data-loss=\"{title.Split(' ')[0].ToLowerInvariant()}\"><tr><th>size</th>");
                foreach (var c in table.Columns) body.Append($"<th>{E(c.Label)}</th>");
                body.Append("</tr>");
                foreach (var row in table.Rows)
                {
                    body.Append($"<tr><th>{row.Size}</th>");
                    foreach (var cell in row.Cells) body.Append(Cell(cell, pick));
                    body.Append("</tr>");
                }
                body.Append("</table>");
            }
            body.Append("<p><a href=\"/hangfire\">Jobs in the Hangfire dashboard</a></p>");
            return Page(table.Sweep, body.ToString());
        });
    }

    private static string Cell(LossCell? cell, Func<LossCell, double?> pick)
    {
        if (cell is null) return "<td></td>";
        var value = pick(cell);
        var text = value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : cell.Status == "running" ? $"epoch {cell.EpochsDone}/{cell.MaxEpochs}" : cell.Status;
        return $"<td class=\"{cell.Status}\" data-run=\"{cell.RunId}\" title=\"{E(cell.StopReason ?? cell.Status)}\">{E(text)}</td>";
    }

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    private static IResult Page(string title, string body) => Results.Content($$"""
        <!doctype html><html><head><meta charset="utf-8"><title>{{E(title)}} - RnnSweep</title>
        <style>body{font-family:system-ui,sans-serif;margin:2rem}table.grid{border-collapse:collapse}
        .grid td,.grid th{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}.failed,.diverged{background:#fdd}.running{background:#ffd}</style>
        </head><body><nav><a href="/">Sweeps</a> · <a href="/hangfire">Jobs</a></nav>{{body}}</body></html>
        """, "text/html; charset=utf-8");
}
