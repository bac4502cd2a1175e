using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Runs;
using static RnnSweep.Orchestrator.Dashboard.Html;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// <c>/runs/{id}</c>: one grid cell. Hyperparameters, learning curves, samples (and a form to ask for one), the gate
/// saturation scatter, the cell visualiser and the interpretable units. <c>run.js</c> refreshes the charts while the
/// run trains and drives the visualiser from <c>GET /api/runs/{id}/cells</c>.
/// </summary>
public static class RunPage
{
    public static async Task<IResult> RenderAsync(long id, RnnSweepDbContext db, CancellationToken ct)
    {
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == id)
            .Select(r => new { Run = r, Sweep = r.Sweep!.Name, Corpus = r.Sweep.Corpus!.Name }).SingleOrDefaultAsync(ct);
        if (run is null) return Results.NotFound();
        var r = run.Run;
        var samples = await db.Samples.AsNoTracking().Where(s => s.RunId == id).OrderBy(s => s.Id).ToListAsync(ct);
        var units = await db.InterpretableCells.AsNoTracking().Where(c => c.RunId == id).OrderBy(c => c.Feature).ThenBy(c => c.Rank).ToListAsync(ct);
        var thresholds = await db.InterpretableThresholds.AsNoTracking().Where(t => t.RunId == id).OrderBy(t => t.Feature).ToListAsync(ct);
        // The visualiser opens on the most interpretable unit: the largest |r| of any listed unit.
        var open = units.OrderByDescending(u => Math.Abs(u.Correlation)).ThenBy(u => u.Layer).ThenBy(u => u.Unit).FirstOrDefault();
        var hasSaturation = await db.GateSaturation.AnyAsync(s => s.RunId == id, ct);
        var hasCells = await db.CellActivations.AnyAsync(c => c.RunId == id, ct);

        var body = new StringBuilder();
        body.Append($"<section id=\"run\" data-run=\"{r.Id}\" data-status=\"{r.Status}\" data-analyzed=\"{(r.AnalyzedAt is null ? "false" : "true")}\">")
            .Append($"<p class=\"crumbs\"><a href=\"/sweeps/{r.SweepId}\">sweep {r.SweepId}: {E(run.Sweep)}</a> ({E(run.Corpus)})</p>")
            .Append($"<h1>Run {r.Id}: {E(r.Model)} {r.Layers}×{r.Hidden}</h1>")
            .Append($"<p><span class=\"tag s-{r.Status}\" id=\"status\">{r.Status}</span> <span id=\"epochs\">{r.EpochsDone} epochs done</span>")
            // A running run's lease: on which Worker, or "lease expired N s ago, waiting for takeover".
            .Append($" <span id=\"lease\">{E(LeaseState.Of(r.Status, r.LeaseOwner, r.LeaseExpiresAt, DateTimeOffset.UtcNow)?.Text ?? "")}</span>");
        if (r.JobId is not null) body.Append($" · <a id=\"job\" href=\"{E(HangfireLinks.JobUrl(r.JobId))}\">Hangfire job {E(r.JobId)}</a>");
        body.Append($" · <a href=\"/api/runs/{r.Id}\">JSON</a></p>")
            .Append($"<p class=\"actions\"><button id=\"cancel\" data-url=\"/api/runs/{r.Id}/cancel\">Cancel this run</button> ")
            .Append($"<button id=\"resume\" data-url=\"/api/runs/{r.Id}/resume\">Resume this run</button> <span id=\"action-result\" role=\"status\"></span></p>");
        if (r.Error is not null) body.Append($"<pre class=\"error\">{E(r.Error)}</pre>");

        body.Append("<div class=\"side-by-side\"><div><h2>Result</h2><table class=\"kv\">")
            .Append($"<tr><th>test loss</th><td id=\"test-loss\">{Loss(r.TestLoss)}</td></tr><tr><th>validation loss</th><td>{Loss(r.ValLoss)}</td></tr>")
            .Append($"<tr><th>train loss</th><td>{Loss(r.TrainLoss)}</td></tr><tr><th>best epoch</th><td>{r.BestEpoch}</td></tr>")
            .Append($"<tr><th>parameters</th><td>{r.ParameterCount:N0}</td></tr><tr><th>grid row (size)</th><td>{r.Size}</td></tr>")
            .Append($"<tr><th>attempt</th><td>{r.Attempt}</td></tr><tr><th>divergence retries</th><td>{r.DivergenceRetries}</td></tr>")
            .Append($"<tr><th>stopped because</th><td>{E(r.StopReason)}</td></tr><tr><th>started</th><td>{r.StartedAt:yyyy-MM-dd HH:mm:ss}</td></tr>")
            .Append($"<tr><th>finished</th><td>{r.FinishedAt:yyyy-MM-dd HH:mm:ss}</td></tr></table></div>")
            .Append("<div><h2>Hyperparameters</h2><table class=\"kv\" id=\"hyperparameters\">");
        using (var hp = JsonDocument.Parse(r.Hyperparameters))
        {
            foreach (var p in hp.RootElement.EnumerateObject()) body.Append($"<tr><th>{E(p.Name)}</th><td>{E(p.Value.ToString())}</td></tr>");
        }
        body.Append("</table></div></div>");

        body.Append("<h2>Learning curves</h2>")
            .Append($"<img id=\"curves\" class=\"chart\" src=\"/runs/{r.Id}/curves.svg\" alt=\"train and validation loss per epoch\" width=\"720\" height=\"360\">")
            .Append($"<p class=\"legend\">Per-epoch numbers: <a href=\"/api/runs/{r.Id}/epochs\">/api/runs/{r.Id}/epochs</a></p>");

        AppendSamples(body, r.Id, samples);

        body.Append("<h2>Gate saturation</h2>");
        body.Append(hasSaturation
            ? $"<img id=\"saturation\" class=\"chart\" src=\"/runs/{r.Id}/saturation.svg\" alt=\"gate saturation scatter\" width=\"960\" height=\"340\"><p class=\"legend\">One point per gate unit: x = fraction of steps with activation &gt; 0.9 (right-saturated), y = fraction &lt; 0.1 (left-saturated), as the paper's Figure 3. The GRU update gate is the paper's (char-rnn's) 1 &minus; z of PyTorch's z, so a unit that keeps its state is left-saturated. <a href=\"/runs/{r.Id}/saturation.png\">PNG</a></p>"
            : "<p id=\"saturation-none\">Not analysed yet (after training succeeds).</p>");

        body.Append("<h2>Cell visualiser</h2>");
        body.Append(hasCells
            ? $"<div id=\"cells\" data-url=\"/api/runs/{r.Id}/cells\" data-layer=\"{open?.Layer ?? 0}\" data-unit=\"{open?.Unit ?? 0}\"><p class=\"controls\"><button id=\"prev-layer\">previous layer</button> <button id=\"prev-unit\">previous unit</button> <b id=\"unit-label\">layer 0 unit 0</b> <button id=\"next-unit\">next unit</button> <button id=\"next-layer\">next layer</button> <span class=\"legend\">blue −1 · white 0 · red +1; {(r.Model == "lstm" ? "tanh(c)" : "h")} per character, layers and units numbered from 0 as in SQL</span></p><div id=\"cell-text\" class=\"cell-text\">loading…</div></div>"
            : "<p id=\"cells-none\">Not analysed yet (after training succeeds).</p>");

        body.Append("<h2>Interpretable units</h2>");
        if (thresholds.Count == 0) body.Append("<p id=\"units-none\">Not analysed yet (after training succeeds).</p>");
        else
        {
            var t0 = thresholds[0];
            body.Append($"<p class=\"legend\">Pearson r of every unit with each text feature over {t0.Characters:N0} validation characters in {t0.Streams} streams. ")
                .Append($"A unit is listed only when |r| exceeds its feature's threshold: the largest |r| of any unit when the feature is circularly shifted within each stream ({t0.Shifts} shifts: chance), ")
                .Append("or of any unit of the same architecture at random initialisation (the run's weights before training and two more: what the input alone gives).</p>");
            if (units.Count == 0) body.Append("<p id=\"units-none\">No unit passes its threshold.</p>");
            else
            {
                body.Append("<table class=\"list\" id=\"units\"><thead><tr><th>feature</th><th>rank</th><th>layer</th><th>unit</th><th>r</th><th>threshold |r|</th></tr></thead><tbody>");
                foreach (var u in units)
                {
                    body.Append($"<tr class=\"pick\" data-layer=\"{u.Layer}\" data-unit=\"{u.Unit}\" title=\"show in the visualiser\"><td>{E(u.Feature)}</td><td>{u.Rank}</td><td>{u.Layer}</td><td>{u.Unit}</td><td>{Num(u.Correlation, "0.000")}</td><td>{Num(u.Threshold, "0.000")}</td></tr>");
                }
                body.Append("</tbody></table>");
            }
            body.Append("<table class=\"list\" id=\"thresholds\"><thead><tr><th>feature</th><th>threshold |r|</th><th>chance (shifted)</th><th>untrained</th></tr></thead><tbody>");
            foreach (var t in thresholds)
            {
                body.Append($"<tr><td>{E(t.Feature)}</td><td>{Num(t.Threshold, "0.000")}</td><td>{Num(t.ShiftThreshold, "0.000")}</td><td>{(t.InitialThreshold is { } i ? Num(i, "0.000") : "")}</td></tr>");
            }
            body.Append("</tbody></table>");
        }
        body.Append(await PaperAnalysesPage.RunSectionAsync(db, r.Id, ct));
        body.Append("</section>");
        return Page($"Run {r.Id} {r.Cell}", body.ToString(), "run.js");
    }

    private static void AppendSamples(StringBuilder body, long runId, List<Sample> samples)
    {
        body.Append("<h2>Samples</h2><div id=\"samples\">");
        foreach (var s in samples) body.Append(SampleHtml(s));
        body.Append("</div>")
            .Append($"<form id=\"sample-form\" data-url=\"/api/runs/{runId}/samples\" class=\"inline-form\"><fieldset><legend>Ask for a sample from the best checkpoint</legend>")
            .Append("<label>method <select name=\"method\"><option>multinomial</option><option>greedy</option><option>topk</option></select></label>")
            .Append("<label>temperature <input name=\"temperature\" type=\"number\" step=\"0.05\" value=\"0.8\"></label>")
            .Append("<label>top k <input name=\"topK\" type=\"number\" value=\"10\"></label>")
            .Append("<label>length <input name=\"length\" type=\"number\" value=\"300\"></label>")
            .Append("<label>seed <input name=\"seed\" type=\"number\" value=\"42\"></label>")
            .Append("<label>priming text <input name=\"primeText\" value=\"\"></label>")
            .Append("<button type=\"submit\">Sample</button> <span class=\"form-error\" data-field=\"*\"></span></fieldset></form>");
    }

    public static string SampleHtml(Sample s) =>
        $"<div class=\"sample\" data-sample=\"{s.Id}\"><div class=\"meta\">{E(s.Method)}, temperature {Num(s.Temperature)}{(s.Method == SamplingMethods.TopK ? $", top {s.TopK}" : "")}, seed {s.Seed}, {s.Length} characters</div>" +
        (s.Error is not null ? $"<pre class=\"error\">{E(s.Error)}</pre>"
            : s.Text is null ? "<pre class=\"pending\">waiting for a Worker…</pre>"
            : $"<pre><b class=\"prime\">{E(s.PrimeText)}</b>{E(s.Text)}</pre>") + "</div>";
}
