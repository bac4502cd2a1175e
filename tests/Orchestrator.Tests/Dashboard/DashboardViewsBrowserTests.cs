using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RnnSweep.Orchestrator.Dashboard;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Tests.Dashboard;

/// <summary>
/// What the dashboard shows, read in Debian's Chromium over one finished synthetic sweep (9 runs with learning
/// curves, an n-gram baseline, one run with activations): the best loss on the sweep list, the overlaid learning
/// curves and choosing runs, the compact n-gram summary, no buttons on finished things, hyperparameter names with
/// units, the visualiser's legible colours and legend, and the submit form opening on a preset.
/// </summary>
[Trait("Category", "Browser")]
[Collection(DatabaseCollection.Name)]
public sealed partial class DashboardViewsBrowserTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Dashboard_ShowsCurvesBestLossNGramNamesColoursAndPreset_ForAFinishedSweep()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        // 3 models x 1 layer x 3 sizes: rows 1..9 of SyntheticSweep, all succeeded (row 10 would be running).
        var sweepId = await SyntheticSweep.CreateAsync(connection, "views", "generated", ["lstm", "gru", "rnn"], [1], [16, 32, 64], maxEpochs: 3);
        List<Run> runs;
        await using (var db = orchestrator.Db())
        {
            runs = [.. db.Runs.Where(r => r.SweepId == sweepId).OrderBy(r => r.TestLoss).ThenBy(r => r.Id)];
            Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
            foreach (var run in runs)
            {
                for (var epoch = 1; epoch <= 3; epoch++)
                {
                    db.EpochMetrics.Add(new EpochMetric { RunId = run.Id, Epoch = epoch, TrainLoss = 3.0 / epoch, ValLoss = run.ValLoss!.Value + 1.0 / epoch, CreatedAt = DateTimeOffset.UtcNow });
                }
            }
            // The best order is 4 (of 6).
            foreach (var (order, loss) in new[] { (1, 3.3), (2, 2.5), (3, 2.1), (4, 1.95), (5, 2.0), (6, 2.2) })
            {
                db.NGramBaselines.Add(new NGramBaseline { SweepId = sweepId, Order = order, Smoothing = "interpolated Kneser-Ney", TestLoss = loss, CreatedAt = DateTimeOffset.UtcNow });
            }
            // Unit 0 at +1, -1, 0, +0.5 over four characters (values are sbyte x scale, layers x steps x hidden).
            db.CellActivations.Add(new CellActivation { RunId = runs[0].Id, Text = "ab\"c", Layers = 1, Steps = 4, Hidden = 2, Scale = 1 / 127f, Values = [127, 0, 129, 0, 0, 0, 64, 0] });
            await db.SaveChangesAsync();
        }
        var best = runs[0];

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardBrowserTests.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        // 1. The sweep list: the best test loss, linked to its run.
        await page.GotoAsync($"{orchestrator.Address}/");
        var bestCell = page.Locator($"#sweeps tr[data-sweep='{sweepId}'] td.best-loss a");
        Assert.Equal(Loss(best.TestLoss), (await bestCell.InnerTextAsync()).Trim());
        Assert.Equal($"/runs/{best.Id}", await bestCell.GetAttributeAsync("href"));

        // 2. The sweep page.
        await page.GotoAsync($"{orchestrator.Address}/sweeps/{sweepId}");
        // Finished: no cancel or resume.
        Assert.Equal(0, await page.Locator("#cancel, #resume").CountAsync());
        // The n-gram baseline: one line naming the best order, a strip of six with order 4 marked, and short.
        Assert.Equal("4", await page.InnerTextAsync("#ngram-best-order"));
        Assert.Equal("1.950", await page.InnerTextAsync("#ngram-best-loss"));
        Assert.Equal(6, await page.Locator("#ngram .strip li").CountAsync());
        Assert.Equal("4", await page.GetAttributeAsync("#ngram .strip li.best", "data-order"));
        // Measured in one step in the page: the live update may swap #ngram for a fresh copy at any moment.
        var ngramHeight = await page.Locator("#ngram").EvaluateAsync<double>("e => e.getBoundingClientRect().height");
        Assert.True(ngramHeight is > 0 and < 160, $"the n-gram summary is {ngramHeight} px tall");
        // Learning curves: one checkbox per run, the best 8 drawn at first, their names in the chart's legend.
        var boxes = page.Locator("#curve-runs input[name=run]");
        Assert.Equal(9, await boxes.CountAsync());
        Assert.Equal(runs.Take(SweepView.InitialCurves).Select(r => r.Id.ToString(CultureInfo.InvariantCulture)).Order(),
            (await page.Locator("#curve-runs input[name=run]:checked").EvaluateAllAsync<string[]>("e => e.map(i => i.value)")).Order());
        await page.WaitForFunctionAsync("() => { const i = document.getElementById('curves'); return i.complete && i.naturalWidth > 0; }");
        // Choose: drop the best run, add the worst; the chart is drawn again for exactly the chosen runs.
        var worst = runs[^1];
        await page.UncheckAsync($"#curve-runs input[value='{best.Id}']");
        await page.CheckAsync($"#curve-runs input[value='{worst.Id}']");
        await page.SelectOptionAsync("#curve-runs select[name=loss]", "train");
        var src = await page.GetAttributeAsync("#curves", "src");
        Assert.Contains("loss=train", src, StringComparison.Ordinal);
        var svg = await (await page.APIRequest.GetAsync(orchestrator.Address + src)).TextAsync();
        Assert.Contains(Label(worst), svg, StringComparison.Ordinal);
        Assert.DoesNotContain(Label(best), svg, StringComparison.Ordinal);
        Assert.Contains(Label(runs[1]), svg, StringComparison.Ordinal);
        Assert.Contains("train loss (nats per character)", svg, StringComparison.Ordinal);
        await page.WaitForFunctionAsync("() => { const i = document.getElementById('curves'); return i.complete && i.naturalWidth > 0; }");
        await SaveScreenshotAsync(page, "sweep-views.png");

        // 3. A finished run: no buttons; hyperparameters by name with units; the visualiser's colours and legend.
        await page.GotoAsync($"{orchestrator.Address}/runs/{best.Id}");
        Assert.Equal(0, await page.Locator("#cancel, #resume").CountAsync());
        Assert.Equal("sequence length", await page.InnerTextAsync("#hyperparameters tr[data-name=seqLength] th"));
        Assert.Equal("50 characters", await page.InnerTextAsync("#hyperparameters tr[data-name=seqLength] td"));
        Assert.Equal("3 epochs", await page.InnerTextAsync("#hyperparameters tr[data-name=maxEpochs] td"));
        Assert.Equal("learning rate", await page.InnerTextAsync("#hyperparameters tr[data-name=learningRate] th"));
        Assert.Equal("90 %", await page.InnerTextAsync("#hyperparameters tr[data-name=trainFraction] td"));
        Assert.DoesNotMatch(CamelCase(), await page.InnerTextAsync("#hyperparameters"));
        await page.WaitForSelectorAsync("#cells[data-ready=true]");
        Assert.True(await page.Locator("#cell-legend .cell-scale").IsVisibleAsync());
        var colours = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#cell-text span')].map(s => getComputedStyle(s).backgroundColor)");
        Assert.Equal(4, colours.Length);
        Assert.Equal(4, colours.Distinct().Count()); // +1, -1, 0 and +0.5 differ
        foreach (var colour in colours)
        {
            var contrast = (Luminance(colour) + 0.05) / 0.05; // black text on it
            Assert.True(contrast >= 4.5, $"black text on {colour} has contrast {contrast:0.0} (WCAG AA needs 4.5)");
        }
        await SaveScreenshotAsync(page, "run-views.png");

        // 4. The submit form opens on the quick preset with its values, and follows the preset chosen.
        await page.GotoAsync($"{orchestrator.Address}/sweeps/new");
        Assert.Equal("quick", await page.InputValueAsync("select[name=preset]"));
        Assert.Equal("adam", await page.InputValueAsync("select[name='hyperparameters.optimizer']"));
        Assert.Equal("1 2", await page.InputValueAsync("input[name=layers]"));
        Assert.True(await page.IsCheckedAsync("input[name=models][value=rnn]"));
        Assert.False(await page.IsCheckedAsync("input[name=matchLayers]"));
        await page.SelectOptionAsync("select[name=preset]", "paper");
        Assert.Equal("rmsprop", await page.InputValueAsync("select[name='hyperparameters.optimizer']"));
        Assert.True(await page.IsCheckedAsync("input[name=matchParameters]"));
        Assert.True(await page.IsCheckedAsync("input[name=matchLayers]")); // the paper's rows are parameter budgets
        await page.UncheckAsync("input[name=matchParameters]");             // no budget across layers without one at all
        Assert.False(await page.IsCheckedAsync("input[name=matchLayers]"));
        Assert.True(await page.IsDisabledAsync("input[name=matchLayers]"));
        await page.CheckAsync("input[name=matchParameters]");
        Assert.False(await page.IsDisabledAsync("input[name=matchLayers]"));
        Assert.Equal("1 2 3", await page.InputValueAsync("input[name=layers]"));
        Assert.Equal("streams", await page.InputValueAsync("select[name='hyperparameters.splitLayout']"));
        await page.SelectOptionAsync("select[name=preset]", "");
        Assert.Equal("", await page.InputValueAsync("input[name=layers]"));
        Assert.Empty(errors);
    }

    /// <summary>Charts.Overlaid and Charts.Curves put epoch ticks at whole numbers only (3 epochs: 1, 2, 3; never 1.5).</summary>
    [Fact]
    public void LearningCurves_HaveIntegerEpochTicks()
    {
        var overlaid = Charts.Overlaid([new Charts.RunCurve("LSTM 1×16 (run 1)", [(1, 2.0), (2, 1.8), (3, 1.7)])], "validation loss", "nats per character");
        var single = Charts.Curves([(1, 2.0, 2.1), (2, 1.8, 1.9), (3, 1.7, 1.85)], VocabularyKinds.LossUnit(VocabularyKinds.Of("""{"vocabulary":"bytes"}""")));
        // A byte-vocabulary run (the paper preset) is labelled per byte, as the paper's losses are.
        Assert.Contains("loss (nats per byte)", single.GetSvgXml(Charts.CurveWidth, Charts.CurveHeight), StringComparison.Ordinal);
        foreach (var plot in new[] { overlaid, single })
        {
            plot.RenderInMemory(Charts.CurveWidth, Charts.CurveHeight);
            var ticks = plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).ToList();
            Assert.True(ticks.Count >= 2, "no epoch ticks");
            Assert.All(ticks, t => Assert.Equal(Math.Round(t.Position), t.Position));
            Assert.All(ticks, t => Assert.DoesNotContain(".", t.Label, StringComparison.Ordinal));
        }
    }

    private static string Loss(double? v) => v!.Value.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Label(Run r) => $"{r.Model.ToUpperInvariant()} {r.Layers}×{r.Hidden} (run {r.Id})";

    /// <summary>Relative luminance (WCAG) of a computed CSS colour: rgb(r, g, b) or color(srgb r g b).</summary>
    private static double Luminance(string css)
    {
        var numbers = Numbers().Matches(css).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToArray();
        var rgb = css.StartsWith("color(", StringComparison.Ordinal) ? numbers[..3] : numbers[..3].Select(n => n / 255).ToArray();
        var lin = rgb.Select(c => c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4)).ToArray();
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
    }

    private static async Task SaveScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(TestPaths.Artifacts("screenshots"), name), FullPage = true });

    [GeneratedRegex(@"[0-9.]+")]
    private static partial Regex Numbers();

    [GeneratedRegex(@"\b[a-z]+[A-Z][a-z]+\b")]
    private static partial Regex CamelCase();
}
