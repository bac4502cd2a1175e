using System.Text;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Api;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;
using static RnnSweep.Orchestrator.Dashboard.Html;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary><c>/</c>: every sweep with its cells by status, a progress bar, when it started and how long it has run.</summary>
public static class SweepListPage
{
    public static async Task<IResult> RenderAsync(RnnSweepDbContext db, CancellationToken ct)
    {
        var sweeps = await SweepApi.Summaries(db, null, ct);
        var times = await db.Runs.AsNoTracking().GroupBy(r => r.SweepId)
            .Select(g => new { SweepId = g.Key, Started = g.Min(r => r.StartedAt), Finished = g.Max(r => r.FinishedAt) })
            .ToDictionaryAsync(t => t.SweepId, ct);
        var now = DateTimeOffset.UtcNow;
        var body = new StringBuilder("<h1>Sweeps</h1>");
        if (sweeps.Count == 0) body.Append("<p>No sweep yet: <a href=\"/sweeps/new\">submit one</a>, or run <code>rnnsweep submit --preset quick</code>.</p>");
        body.Append("<table class=\"list\" id=\"sweeps\"><thead><tr><th>id</th><th>sweep</th><th>corpus</th><th>cells by status</th><th>progress</th><th>started</th><th>elapsed</th></tr></thead><tbody>");
        foreach (var s in sweeps)
        {
            times.TryGetValue(s.Id, out var t);
            var total = s.Runs.Values.Sum();
            var done = s.Runs.Where(kv => RunStatus.IsFinal(kv.Key)).Sum(kv => kv.Value);
            var finished = total > 0 && done == total;
            var elapsed = t?.Started is { } started ? Elapsed(((finished ? t.Finished : null) ?? now) - started) : "";
            body.Append($"<tr data-sweep=\"{s.Id}\"><td>{s.Id}</td><td><a href=\"/sweeps/{s.Id}\">{E(s.Name)}</a></td><td>{E(s.Corpus)}</td>")
                .Append($"<td class=\"counts\">{StatusCounts(s.Runs)}</td><td>{ProgressBar(s.Runs)}</td>")
                .Append($"<td>{(t?.Started is { } st ? st.ToString("yyyy-MM-dd HH:mm") + " UTC" : "not started")}</td><td>{elapsed}</td></tr>");
        }
        body.Append("</tbody></table>");
        return Page("Sweeps", body.ToString(), "sweeps.js");
    }

    public static string StatusCounts(IReadOnlyDictionary<string, int> runs) =>
        string.Join(" ", runs.Where(kv => kv.Value > 0).Select(kv => $"<span class=\"tag s-{kv.Key}\">{kv.Value} {kv.Key}</span>"));

    /// <summary>A stacked bar: succeeded, failed or diverged, cancelled, running; what is left is queued.</summary>
    public static string ProgressBar(IReadOnlyDictionary<string, int> runs)
    {
        var total = Math.Max(1, runs.Values.Sum());
        var done = runs.Where(kv => RunStatus.IsFinal(kv.Key)).Sum(kv => kv.Value);
        var sb = new StringBuilder($"<div class=\"progress\" title=\"{done} of {runs.Values.Sum()} cells finished\">");
        foreach (var status in new[] { RunStatus.Succeeded, RunStatus.Diverged, RunStatus.Failed, RunStatus.Cancelled, RunStatus.Running })
        {
            if (runs.TryGetValue(status, out var n) && n > 0) sb.Append($"<i class=\"s-{status}\" style=\"width:{Num(100.0 * n / total, "0.##")}%\"></i>");
        }
        return sb.Append($"</div><small>{done}/{runs.Values.Sum()}</small>").ToString();
    }
}
