using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;
using static RnnSweep.Orchestrator.Dashboard.Html;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// <c>/sweeps/{id}/tables?view=best|mean|slice</c>: a sweep with seeds or axes, one test-loss table per view
/// (<see cref="LossTable"/>: the same numbers as the views <c>loss_table_best</c> and <c>loss_table_mean</c>), each cell
/// linking to its run (best, slice) or to the run of every seed (mean), with the values chosen; and the estimated
/// time to finish, which <c>estimate.js</c> refreshes from <c>GET /api/sweeps/{id}/estimate</c>.
/// </summary>
public static class SweepTablesPage
{
    public static async Task<IResult> RenderAsync(long id, string? view, string? slice, RnnSweepDbContext db, CancellationToken ct)
    {
        LossTable? table;
        try
        {
            table = await LossTable.LoadAsync(db, id, view ?? LossTableViews.Best, slice, ct);
        }
        catch (ValidationException e)
        {
            return Results.BadRequest(string.Join("; ", e.Errors.Select(f => $"{f.Field}: {f.Message}")));
        }
        if (table is null) return Results.NotFound();
        var body = new StringBuilder(4096);
        body.Append($"<section id=\"tables\"><h1>Sweep {table.SweepId}: {E(table.Sweep)}</h1>")
            .Append($"<p><a href=\"/sweeps/{id}\">the sweep's page</a> · {table.RunsPerCell} runs per cell</p>")
            .Append(await SummaryAsync(id, db, ct))
            .Append($"<h2>Test loss, {E(table.View)}{E(Cli.TableView.ViewTitle(table))}</h2>")
            .Append($"<table class=\"loss\" data-view=\"{E(table.View)}\"><thead><tr><th>size</th>");
        foreach (var column in table.Columns) body.Append($"<th>{E(column.Label)}</th>");
        body.Append("</tr></thead><tbody>");
        foreach (var row in table.Rows)
        {
            body.Append($"<tr><th>{row.Size}</th>");
            foreach (var cell in row.Cells) body.Append("<td>").Append(Cell(cell)).Append("</td>");
            body.Append("</tr>");
        }
        body.Append("</tbody></table>");
        if (table.Axes is not null)
        {
            body.Append("<p>Slices: ").Append(string.Join(" · ", Slices(table.Axes).Take(50).Select(s =>
                $"<a href=\"/sweeps/{id}/tables?view=slice&amp;slice={Uri.EscapeDataString(s)}\">{E(s)}</a>"))).Append("</p>");
        }
        body.Append("</section>");
        return Page($"Sweep {table.Sweep}: tables", body.ToString(), "estimate.js");
    }

    /// <summary>The estimated time to finish and the links to the views, for the top of a sweep's pages.</summary>
    public static async Task<string> SummaryAsync(long id, RnnSweepDbContext db, CancellationToken ct)
    {
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        SweepEstimate? estimate;
        try
        {
            estimate = await SweepEstimate.LoadAsync(conn, id, ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        return $"<p id=\"estimate\" data-url=\"/api/sweeps/{id}/estimate\">{E(estimate?.Text)}</p>" +
               $"<p class=\"views\">Tables: {string.Join(" · ", LossTableViews.All.Where(v => v != LossTableViews.Slice).Select(v => $"<a href=\"/sweeps/{id}/tables?view={v}\">{v}</a>"))}</p>";
    }

    private static string Cell(LossCell? cell)
    {
        if (cell is null) return "";
        var value = cell.TestLoss is { } loss ? Loss(loss) : E(cell.Status);
        var sd = cell.N is { } n and > 0 ? $" ± {(cell.TestSd is { } s ? Loss(s) : "-")} (n={n})" : "";
        var runs = cell.RunIds is { Count: > 1 } ids
            ? " " + string.Join(" ", ids.Select((r, i) => $"<a href=\"/runs/{r}\" title=\"run {r}\">[{i + 1}]</a>"))
            : "";
        var chosen = cell.Chosen is null ? "" : $"<br><small>{E(cell.ChosenText)}</small>";
        return $"<a href=\"/runs/{cell.RunId}\">{value}</a>{sd}{runs}{chosen}";
    }

    /// <summary>Every combination of axis values as a slice (<c>dropout=0,seed=1</c>), in the axes' order.</summary>
    private static IEnumerable<string> Slices(IReadOnlyDictionary<string, System.Text.Json.JsonElement[]> axes)
    {
        IEnumerable<string> slices = [""];
        foreach (var (name, values) in axes)
        {
            var n = name;
            slices = slices.SelectMany(s => values.Select(v => (s.Length == 0 ? "" : s + ",") + $"{n}={v.GetRawText().Trim('"')}")).ToList();
        }
        return slices;
    }
}
