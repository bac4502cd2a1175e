using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;
using ScottPlot;
using SkiaSharp;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// The dashboard's charts, drawn server-side by ScottPlot 5 (on SkiaSharp) as SVG or PNG:
/// <c>/runs/{id}/curves.svg</c>, <c>/sweeps/{id}/curves.svg?runs=1,2&amp;loss=val|train</c> and
/// <c>/runs/{id}/saturation.svg|.png</c>.
/// </summary>
public static class Charts
{
    public const int CurveWidth = 720, CurveHeight = 360;
    public const int PanelWidth = 320, PanelHeight = 340;

    /// <summary>Gates in the order the paper shows them (LSTM input, forget, output; GRU reset, update).</summary>
    private static readonly string[] GateOrder = ["input", "forget", "output", "reset", "update"];
    /// <summary>The GRU update gate panel's title: which convention its values are in.</summary>
    public const string UpdateGateTitle = "update gate, paper's 1 - z (PyTorch z)";

    public static void MapCharts(this IEndpointRouteBuilder app)
    {
        app.MapGet("/runs/{id:long}/curves.svg", async (long id, RnnSweepDbContext db, CancellationToken ct) =>
        {
            // The run's hyperparameters say the losses' unit; no row: no such run.
            if (await db.Runs.Where(r => r.Id == id).Select(r => r.Hyperparameters).SingleOrDefaultAsync(ct) is not { } hyperparameters) return Results.NotFound();
            var epochs = await db.EpochMetrics.AsNoTracking().Where(m => m.RunId == id).OrderBy(m => m.Epoch)
                .Select(m => new { m.Epoch, m.TrainLoss, m.ValLoss }).ToListAsync(ct);
            var unit = VocabularyKinds.LossUnit(VocabularyKinds.Of(hyperparameters));
            var svg = Curves(epochs.Select(e => (e.Epoch, e.TrainLoss, e.ValLoss)).ToList(), unit).GetSvgXml(CurveWidth, CurveHeight);
            return Svg(svg);
        }).ExcludeFromDescription();

        app.MapGet("/sweeps/{id:long}/curves.svg", async (long id, string? runs, string? loss, RnnSweepDbContext db, CancellationToken ct) =>
        {
            if (!await db.Sweeps.AnyAsync(s => s.Id == id, ct)) return Results.NotFound();
            if (loss is not (null or "val" or "train")) return Results.BadRequest("loss: val or train");
            var ids = new List<long>();
            foreach (var part in (runs ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!long.TryParse(part, System.Globalization.CultureInfo.InvariantCulture, out var runId)) return Results.BadRequest($"runs: '{part}' is not a run id");
                ids.Add(runId);
            }
            if (ids.Count > SweepView.MaxCurveChoices) return Results.BadRequest($"runs: at most {SweepView.MaxCurveChoices}");
            // Only the sweep's own runs are drawn; other ids are ignored.
            var cells = await db.Runs.AsNoTracking().Where(r => r.SweepId == id && ids.Contains(r.Id)).OrderBy(r => r.Id)
                .Select(r => new { r.Id, r.Model, r.Layers, r.Hidden, r.Hyperparameters }).ToListAsync(ct);
            var found = cells.Select(c => c.Id).ToList();
            var metrics = await db.EpochMetrics.AsNoTracking().Where(m => found.Contains(m.RunId)).OrderBy(m => m.Epoch)
                .Select(m => new { m.RunId, m.Epoch, m.TrainLoss, m.ValLoss }).ToListAsync(ct);
            var series = cells.Select(c => new RunCurve($"{Format.Cell(c.Model, c.Layers, c.Hidden)} (run {c.Id})",
                metrics.Where(m => m.RunId == c.Id).Select(m => (m.Epoch, loss == "train" ? m.TrainLoss : m.ValLoss)).ToList())).ToList();
            var unit = VocabularyKinds.LossUnit(cells.Select(c => VocabularyKinds.Of(c.Hyperparameters)));
            return Svg(Overlaid(series, loss == "train" ? "train loss" : "validation loss", unit).GetSvgXml(CurveWidth, CurveHeight));
        }).ExcludeFromDescription();

        app.MapGet("/runs/{id:long}/saturation.{format:regex(^(svg|png)$)}", async (long id, string format, RnnSweepDbContext db, CancellationToken ct) =>
        {
            var run = await db.Runs.AsNoTracking().Where(r => r.Id == id).Select(r => new { r.Model, r.AnalyzedAt }).SingleOrDefaultAsync(ct);
            if (run is null) return Results.NotFound();
            var points = await db.GateSaturation.AsNoTracking().Where(s => s.RunId == id)
                .Select(s => new SaturationPoint(s.Layer, s.Gate, s.LeftFraction, s.RightFraction)).ToListAsync(ct);
            // Empty: not measured yet, or never (an analysed vanilla RNN has no gates), as the run page says.
            var plot = Saturation(points, run.Model == ModelType.Rnn.Name() && run.AnalyzedAt is not null
                ? "A vanilla RNN has no gates: no saturation to measure" : "No saturation measured yet");
            var (width, height) = (PanelWidth * Math.Max(1, plot.Subplots.Count), PanelHeight);
            return format == "png"
                ? Results.File(plot.Render(width, height).GetImageBytes(ImageFormat.Png), "image/png")
                : Svg(SvgOf(plot, width, height));
        }).ExcludeFromDescription();
    }

    public sealed record SaturationPoint(int Layer, string Gate, double Left, double Right);

    /// <summary>One run's loss per epoch, named for the legend.</summary>
    public sealed record RunCurve(string Label, IReadOnlyList<(int Epoch, double Loss)> Points);

    /// <summary>Several runs' curves of one loss in one chart, one colour each, with a legend naming the runs.</summary>
    /// <param name="unit">The losses' unit (<see cref="VocabularyKinds.LossUnit(string?)"/>).</param>
    public static Plot Overlaid(IReadOnlyList<RunCurve> runs, string loss, string unit)
    {
        var plot = new Plot();
        plot.Title(runs.Count == 0 ? "No run chosen" : runs.All(r => r.Points.Count == 0) ? "No epoch finished yet" : $"{char.ToUpperInvariant(loss[0])}{loss[1..]} per epoch");
        plot.XLabel("epoch");
        plot.YLabel($"{loss} ({unit})");
        EpochTicks(plot);
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < runs.Count; i++)
        {
            if (runs[i].Points.Count == 0) continue;
            var line = plot.Add.Scatter(runs[i].Points.Select(p => (double)p.Epoch).ToArray(), runs[i].Points.Select(p => p.Loss).ToArray());
            line.Color = palette.GetColor(i);
            line.LegendText = runs[i].Label;
        }
        if (runs.Any(r => r.Points.Count > 0)) plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>Epochs are whole numbers: ticks only at integers (a 3-epoch run would otherwise get 1.5, 2.5).</summary>
    public static void EpochTicks(Plot plot) =>
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };

    /// <summary>Train and validation loss per epoch.</summary>
    /// <param name="unit">The losses' unit (<see cref="VocabularyKinds.LossUnit(string?)"/>).</param>
    public static Plot Curves(IReadOnlyList<(int Epoch, double Train, double Val)> epochs, string unit)
    {
        var plot = new Plot();
        plot.Title(epochs.Count == 0 ? "No epoch finished yet" : "Learning curves");
        plot.XLabel("epoch");
        plot.YLabel($"loss ({unit})");
        EpochTicks(plot);
        if (epochs.Count == 0) return plot;
        double[] x = [.. epochs.Select(e => (double)e.Epoch)];
        var train = plot.Add.Scatter(x, [.. epochs.Select(e => e.Train)]);
        train.LegendText = "train";
        var val = plot.Add.Scatter(x, [.. epochs.Select(e => e.Val)]);
        val.LegendText = "validation";
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>The paper's saturation scatter: one panel per gate, one point per unit coloured by layer, the anti-diagonal drawn.</summary>
    /// <param name="emptyTitle">The title of the one empty panel drawn when there are no points.</param>
    public static Multiplot Saturation(IReadOnlyList<SaturationPoint> points, string emptyTitle = "No saturation measured yet")
    {
        var multiplot = new Multiplot(); // starts with one (empty) plot: the first gate's panel
        var gates = points.Select(p => p.Gate).Distinct().OrderBy(g => Array.IndexOf(GateOrder, g) is var i and >= 0 ? i : 99).ThenBy(g => g).ToList();
        var palette = new ScottPlot.Palettes.Category10();
        if (gates.Count == 0)
        {
            multiplot.GetPlot(0).Title(emptyTitle);
            return multiplot;
        }
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        foreach (var gate in gates)
        {
            var plot = gate == gates[0] ? multiplot.GetPlot(0) : multiplot.AddPlot();
            // The stored update gate is the paper's u = 1 - PyTorch's z (char-rnn: h' = u candidate + (1 - u) h).
            plot.Title(gate == "update" ? UpdateGateTitle : $"{gate} gate");
            plot.XLabel("fraction right-saturated (> 0.9)");
            plot.YLabel("fraction left-saturated (< 0.1)");
            var diagonal = plot.Add.Line(0, 1, 1, 0);
            diagonal.LineColor = Colors.Gray;
            // Solid: Skia's SVG canvas cannot write dash path effects (it logs "Unsupported path effect").
            foreach (var layer in points.Where(p => p.Gate == gate).GroupBy(p => p.Layer).OrderBy(g => g.Key))
            {
                var scatter = plot.Add.ScatterPoints(layer.Select(p => p.Right).ToArray(), layer.Select(p => p.Left).ToArray());
                scatter.Color = palette.GetColor(layer.Key).WithAlpha(0.7);
                scatter.MarkerSize = 5;
                scatter.LegendText = $"layer {layer.Key}";
            }
            plot.Axes.SetLimits(-0.02, 1.02, -0.02, 1.02);
            plot.ShowLegend(Alignment.UpperRight);
        }
        return multiplot;
    }

    public static string SvgOf(Multiplot multiplot, int width, int height)
    {
        using var stream = new MemoryStream();
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), stream))
        {
            multiplot.Render(canvas, new PixelRect(0, width, height, 0));
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static IResult Svg(string svg) => Results.Text(svg, "image/svg+xml; charset=utf-8");
}
