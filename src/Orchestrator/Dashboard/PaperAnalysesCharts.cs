using System.Globalization;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Schema;
using ScottPlot;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// The pictures of Sections 4.2 and 4.3, drawn by ScottPlot as SVG or PNG, every bar and point labelled with its
/// number: <c>/runs/{id}/errors</c> (the error breakdown by oracle), <c>/runs/{id}/versus-ngram</c> (error overlap,
/// mean probability per character class, closers by distance to their opener) and <c>/sweeps/{id}/errors</c> (the
/// breakdown of every analysed run side by side).
/// </summary>
public static class PaperAnalysesCharts
{
    public const int Width = 900, Height = 380, PanelWidth = 460;

    public static void MapPaperAnalysesCharts(this IEndpointRouteBuilder app)
    {
        app.MapGet("/runs/{id:long}/errors.{format:regex(^(svg|png)$)}", async (long id, string format, RnnSweepDbContext db, CancellationToken ct) =>
        {
            if (await db.Runs.AsNoTracking().Where(r => r.Id == id).Select(r => (long?)r.SweepId).SingleOrDefaultAsync(ct) is not { } sweep) return Results.NotFound();
            var data = await PaperAnalyses.LoadAsync(db, sweep, id, ct);
            return Image(ErrorBreakdown(data.Errors, new Dictionary<long, string>()), Width, Height, format);
        }).ExcludeFromDescription();

        app.MapGet("/runs/{id:long}/versus-ngram.{format:regex(^(svg|png)$)}", async (long id, string format, RnnSweepDbContext db, CancellationToken ct) =>
        {
            if (await db.Runs.AsNoTracking().Where(r => r.Id == id).Select(r => (long?)r.SweepId).SingleOrDefaultAsync(ct) is not { } sweep) return Results.NotFound();
            var data = await PaperAnalyses.LoadAsync(db, sweep, id, ct);
            var plot = VersusNGram(data);
            return Image(plot, PanelWidth * plot.Subplots.Count, Height, format);
        }).ExcludeFromDescription();

        app.MapGet("/sweeps/{id:long}/errors.{format:regex(^(svg|png)$)}", async (long id, string format, RnnSweepDbContext db, CancellationToken ct) =>
        {
            if (!await db.Sweeps.AnyAsync(s => s.Id == id, ct)) return Results.NotFound();
            var data = await PaperAnalyses.LoadAsync(db, id, null, ct);
            var names = await RunNamesAsync(db, id, ct);
            var runs = data.Errors.Select(r => r.RunId).Distinct().Count();
            return Image(ErrorBreakdown(data.Errors, names), Width, Height + (runs > 1 ? 24 * runs : 0), format); // room for the legend under it
        }).ExcludeFromDescription();
    }

    /// <summary>"run 3: lstm 1x64" for every run of a sweep.</summary>
    public static async Task<Dictionary<long, string>> RunNamesAsync(RnnSweepDbContext db, long sweepId, CancellationToken ct) =>
        await db.Runs.AsNoTracking().Where(r => r.SweepId == sweepId)
            .Select(r => new { r.Id, r.Model, r.Layers, r.Hidden }).ToDictionaryAsync(r => r.Id, r => $"run {r.Id}: {r.Model} {r.Layers}x{r.Hidden}", ct);

    /// <summary>
    /// Section 4.3: errors per oracle step, one bar per run (grouped when several), each labelled with its count and
    /// its share of the run's errors.
    /// </summary>
    public static Plot ErrorBreakdown(IReadOnlyList<PaperAnalyses.ErrorRow> rows, IReadOnlyDictionary<long, string> runNames)
    {
        var plot = new Plot();
        var runs = rows.Select(r => r.RunId).Distinct().ToList();
        plot.Title(runs.Count == 0 ? "No error analysis yet (needs the run's analysis and the sweep's n-gram)"
            : "Errors (p < 0.5) by the first oracle that removes them (Section 4.3)");
        if (runs.Count == 0) return plot;
        var palette = new ScottPlot.Palettes.Category10();
        var width = 0.8 / runs.Count;
        for (var k = 0; k < runs.Count; k++)
        {
            var perStep = rows.Where(r => r.RunId == runs[k]).GroupBy(r => r.Step).ToDictionary(g => g.Key, g => (Errors: g.Sum(r => r.Errors), Share: g.Sum(r => r.Share)));
            var total = rows.First(r => r.RunId == runs[k]);
            var bars = Enumerable.Range(1, PaperAnalyses.Steps.Count).Select(step =>
            {
                var (errors, share) = perStep.GetValueOrDefault(step);
                return new Bar
                {
                    Position = step - 0.4 + width * (k + 0.5), Value = errors, Size = width * 0.95, FillColor = palette.GetColor(k),
                    // Side by side, two labels of counts would overlap: the counts are in the legend and the page's table.
                    Label = runs.Count == 1 ? $"{errors.ToString("N0", CultureInfo.InvariantCulture)} ({share.ToString("0%", CultureInfo.InvariantCulture)})"
                        : share.ToString("0%", CultureInfo.InvariantCulture),
                };
            }).ToList();
            var barPlot = plot.Add.Bars(bars);
            barPlot.LegendText = $"{runNames.GetValueOrDefault(runs[k], $"run {runs[k]}")}: {total.TotalErrors.ToString("N0", CultureInfo.InvariantCulture)} errors " +
                $"in {total.Characters.ToString("N0", CultureInfo.InvariantCulture)} characters ({((double)total.TotalErrors / Math.Max(1, total.Characters)).ToString("0.0%", CultureInfo.InvariantCulture)})";
        }
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(1, PaperAnalyses.Steps.Count).Select(s => (double)s)], [.. PaperAnalyses.Steps]);
        plot.YLabel("errors");
        plot.Axes.Margins(bottom: 0, top: 0.2);
        // One run's legend fits in a corner; several runs' would cover the tallest bars, so they go under the chart.
        if (runs.Count == 1) plot.ShowLegend(Alignment.UpperRight);
        else plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    /// <summary>Tick labels short enough to stand side by side (the page's table has the full names).</summary>
    private static readonly Dictionary<short, string> ShortClassNames = new()
    {
        [(short)Shared.Domain.CharacterClass.Other] = "other", [(short)Shared.Domain.CharacterClass.Lowercase] = "a-z",
        [(short)Shared.Domain.CharacterClass.Uppercase] = "A-Z", [(short)Shared.Domain.CharacterClass.Digit] = "0-9",
        [(short)Shared.Domain.CharacterClass.Space] = "space", [(short)Shared.Domain.CharacterClass.LineBreak] = "CR/LF",
        [(short)Shared.Domain.CharacterClass.Punctuation] = ".,;", [(short)Shared.Domain.CharacterClass.Quote] = "quote",
        [(short)Shared.Domain.CharacterClass.OpeningBracket] = "([{", [(short)Shared.Domain.CharacterClass.ClosingBracket] = ")]}",
    };

    /// <summary>Section 4.2 for one run: error overlap, mean probability per class, and closers by distance.</summary>
    public static Multiplot VersusNGram(PaperAnalyses.Data data)
    {
        var multiplot = new Multiplot();
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        var overlap = multiplot.GetPlot(0);
        var c = data.Comparison.FirstOrDefault();
        if (c is null)
        {
            overlap.Title("No comparison yet (needs the run's analysis and the sweep's n-gram)");
            return multiplot;
        }
        overlap.Title($"Errors: model against {c.NgramOrder}-gram");
        string[] names = ["both", "model only", $"{c.NgramOrder}-gram only"];
        long[] counts = [c.ErrorsBoth, c.ErrorsModelOnly, c.ErrorsNgramOnly];
        var palette = new ScottPlot.Palettes.Category10();
        overlap.Add.Bars(Enumerable.Range(0, 3).Select(i => new Bar
        {
            Position = i, Value = counts[i], FillColor = palette.GetColor(i + 2),
            Label = $"{counts[i].ToString("N0", CultureInfo.InvariantCulture)} ({((double)counts[i] / Math.Max(1, c.Characters)).ToString("0.0%", CultureInfo.InvariantCulture)})",
        }).ToList());
        overlap.Axes.Bottom.SetTicks([0, 1, 2], names);
        overlap.YLabel($"test characters (of {c.Characters.ToString("N0", CultureInfo.InvariantCulture)})");
        overlap.Axes.Margins(bottom: 0, top: 0.2);

        var classes = multiplot.AddPlot();
        classes.Title("Mean probability of the correct character");
        var rows = data.Classes.OrderBy(r => r.ClassId).ToList();
        for (var k = 0; k < 2; k++)
        {
            var model = k == 0;
            var bars = classes.Add.Bars(rows.Select((r, i) => new Bar
            {
                Position = i - 0.2 + 0.4 * k, Value = model ? r.MeanPModel : r.MeanPNgram, Size = 0.38, FillColor = palette.GetColor(k),
                Label = (model ? r.MeanPModel : r.MeanPNgram).ToString(".00", CultureInfo.InvariantCulture),
            }).ToList());
            bars.LegendText = model ? "model" : $"{c.NgramOrder}-gram";
            // Two labels share each class's slot: small enough that neighbours do not overprint each other.
            bars.ValueLabelStyle.FontSize = 9;
        }
        classes.Axes.Bottom.SetTicks([.. rows.Select((_, i) => (double)i)], [.. rows.Select(r => ShortClassNames.GetValueOrDefault(r.ClassId, r.CharacterClass))]);
        classes.Axes.SetLimitsY(0, 1.15);
        classes.ShowLegend(Alignment.UpperRight);

        var closers = multiplot.AddPlot();
        closers.Title("Closing brackets and quotes");
        closers.XLabel("characters since the opener (bin start)");
        closers.YLabel("mean probability of the closer");
        var k2 = 0;
        foreach (var group in data.Closers.GroupBy(r => r.Closer).OrderBy(g => g.Key))
        {
            var points = group.OrderBy(r => r.DistanceFrom).ToList();
            double[] x = [.. points.Select(r => Math.Log2(r.DistanceFrom))];
            foreach (var model in new[] { true, false })
            {
                var y = points.Select(r => model ? r.MeanPModel : r.MeanPNgram).ToArray();
                var line = closers.Add.Scatter(x, y);
                line.Color = palette.GetColor(k2 * 2 + (model ? 0 : 1));
                line.LegendText = $"{group.Key}: {(model ? "model" : $"{c.NgramOrder}-gram")}";
                if (!model) continue;
                // The number of closers in each bin, beside the model's point.
                for (var i = 0; i < points.Count; i++)
                {
                    var label = closers.Add.Text($"{points[i].MeanPModel.ToString("0.00", CultureInfo.InvariantCulture)} (n={points[i].Occurrences})", x[i], y[i]);
                    label.LabelFontSize = 9;
                }
            }
            k2++;
        }
        var bins = data.Closers.Select(r => r.DistanceFrom).Distinct().Order().ToList();
        if (bins.Count > 0) closers.Axes.Bottom.SetTicks([.. bins.Select(b => Math.Log2(b))], [.. bins.Select(b => b.ToString(CultureInfo.InvariantCulture))]);
        closers.Axes.SetLimitsY(0, 1.1);
        // Room right of the last bin for its count label.
        if (bins.Count > 0) closers.Axes.SetLimitsX(Math.Log2(bins[0]) - 0.5, Math.Log2(bins[^1]) + 1.8);
        closers.ShowLegend(Alignment.UpperRight);
        return multiplot;
    }

    private static IResult Image(Plot plot, int width, int height, string format) => format == "png"
        ? Results.File(plot.GetImageBytes(width, height, ImageFormat.Png), "image/png")
        : Results.Text(plot.GetSvgXml(width, height), "image/svg+xml; charset=utf-8");

    private static IResult Image(Multiplot plot, int width, int height, string format) => format == "png"
        ? Results.File(plot.Render(width, height).GetImageBytes(ImageFormat.Png), "image/png")
        : Results.Text(Charts.SvgOf(plot, width, height), "image/svg+xml; charset=utf-8");
}
