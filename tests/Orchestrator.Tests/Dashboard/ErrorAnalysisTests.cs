using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Npgsql;
using RnnSweep.Orchestrator.Dashboard;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Tests.Dashboard;

/// <summary>
/// Sections 4.2 and 4.3 over stored per-character predictions: the views peel each error off by the first oracle
/// that explains it, compare a small model with a large one, and group by character class and by distance to an
/// opener; the dashboard's pictures and tables show those numbers.
/// </summary>
public sealed class ErrorAnalysisTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    /// <summary>
    /// Twelve test positions, one fact each. Position 0 is not scored. The large run errs once per oracle step
    /// (positions 1, 3, 4, 5, 6, 7, 8); the small one also at 2 (an n-gram error) and 9 (a boost error).
    /// </summary>
    private static class Positions
    {
        public static readonly int[] Symbols = ['x', 'a', 'b', 'c', 'd', 'e', ',', 'f', 'g', 'h', ')', '"'];
        public static readonly short[] NgramOrder = [0, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        public static readonly short[] Memory = [0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0];
        public static readonly short[] TrainCount = [-1, 10, 10, 10, 2, 10, -1, 10, 10, 10, -1, -1];
        public static readonly short[] Previous = [-1, 1, 1, 1, 1, 4, 1, 1, 1, 1, 1, 1];
        public static readonly short[] Class = [1, 1, 1, 1, 1, 1, 6, 1, 1, 1, 9, 7];
        public static readonly int[] Opener = [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 3, 40];
        public static readonly float[] Large = [float.NaN, 0.2f, 0.9f, 0.1f, 0.3f, 0.2f, 0.4f, 0.35f, 0.05f, 0.8f, 0.9f, 0.6f];
        public static readonly float[] Small = [float.NaN, 0.2f, 0.3f, 0.1f, 0.3f, 0.2f, 0.4f, 0.35f, 0.05f, 0.45f, 0.9f, 0.6f];
        public static readonly float[] Ngram = [float.NaN, 0.6f, 0.7f, 0.2f, 0.1f, 0.3f, 0.2f, 0.3f, 0.1f, 0.9f, 0.2f, 0.1f];
    }

    /// <returns>The sweep, its small run (8 units) and its large run (16 units).</returns>
    private static async Task<(long Sweep, long Small, long Large)> CreateAsync(string connection)
    {
        var sweepId = await SyntheticSweep.CreateAsync(connection, "errors", "generated", ["lstm"], [1], [8, 16]);
        await using (var conn = new NpgsqlConnection(connection))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("update runs set parameter_count = hidden * 100 where sweep_id = $1", conn);
            cmd.Parameters.AddWithValue(sweepId);
            await cmd.ExecuteNonQueryAsync();
        }
        await using var db = DatabaseSettingsContext(connection);
        var runs = await db.Runs.Where(r => r.SweepId == sweepId).OrderBy(r => r.Hidden).ToListAsync();
        Assert.Equal([8, 16], runs.Select(r => r.Hidden));
        db.TestPredictions.Add(new TestPrediction { RunId = runs[0].Id, Probabilities = Positions.Small });
        db.TestPredictions.Add(new TestPrediction { RunId = runs[1].Id, Probabilities = Positions.Large });
        db.NGramPredictions.Add(new NGramPrediction { SweepId = sweepId, Order = 20, Symbols = Positions.Symbols, Probabilities = Positions.Ngram });
        db.TestOracles.Add(new TestOracle
        {
            SweepId = sweepId, MaxOracleOrder = 9, NgramOrder = Positions.NgramOrder, MemoryWindow = Positions.Memory, TrainCount = Positions.TrainCount,
            PreviousClass = Positions.Previous, CharacterClass = Positions.Class, OpenerDistance = Positions.Opener,
        });
        await db.SaveChangesAsync();
        return (sweepId, runs[0].Id, runs[1].Id);
    }

    private static RnnSweepDbContext DatabaseSettingsContext(string connection) => Shared.Database.DatabaseSettings.CreateContext(connection);

    [Fact]
    public async Task Views_PeelEachErrorOffByTheFirstOracle_AndSayWhereTheLargerModelGains()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var (sweep, small, large) = await CreateAsync(connection);
        await using var db = orchestrator.Db();

        var data = await PaperAnalyses.LoadAsync(db, sweep, null, CancellationToken.None);

        // The large run: one error per step, 7 of 11 scored characters, each step 1/7 of them.
        var largeRows = data.Errors.Where(r => r.RunId == large).ToList();
        Assert.Equal(PaperAnalyses.Steps, largeRows.Select(r => r.Category));
        Assert.Equal(["3-gram", "within 100", "seen 2 times in train", "after space", "punctuation", "+0.2", "p < 0.1"], largeRows.Select(r => r.Detail));
        Assert.All(largeRows, r => Assert.Equal((11L, 7L, 1L), (r.Characters, r.TotalErrors, r.Errors)));
        Assert.Equal(1.0, largeRows.Sum(r => r.Share), 1e-9);
        // The small run: 9 errors; n-gram twice (2- and 3-gram), boost twice (+0.1 and +0.2).
        var smallSteps = data.Errors.Where(r => r.RunId == small).GroupBy(r => r.Step).ToDictionary(g => g.Key, g => g.Sum(r => r.Errors));
        Assert.Equal([2L, 1, 1, 1, 1, 2, 1], Enumerable.Range(1, 7).Select(s => smallSteps[s]));

        // Small against large: 2 more errors, half from the n-gram step and half from boost.
        Assert.Equal(7, data.Scaling.Count);
        Assert.All(data.Scaling, r => Assert.Equal((small, 800L, large, 1600L), (r.SmallRun, r.SmallParameters, r.LargeRun, r.LargeParameters)));
        Assert.Equal([1L, 0, 0, 0, 0, 1, 0], data.Scaling.OrderBy(r => r.Step).Select(r => r.Difference));
        Assert.Equal(0.5, data.Scaling.Single(r => r.Step == 1).ShareOfDifference!.Value, 1e-9);

        // Section 4.2 for the large run: per class, and the closers by distance (bins 2-3 and 32-63).
        var classes = data.Classes.Where(c => c.RunId == large).ToDictionary(c => c.CharacterClass);
        Assert.Equal(8, classes[CharacterClass.Lowercase.Name()].Occurrences);
        Assert.Equal((0.9, 0.2), (Math.Round(classes[CharacterClass.ClosingBracket.Name()].MeanPModel, 6), Math.Round(classes[CharacterClass.ClosingBracket.Name()].MeanPNgram, 6)));
        var closers = data.Closers.Where(c => c.RunId == large).OrderBy(c => c.Closer).ToList();
        Assert.Equal([("bracket", 2, 3), ("quote", 32, 63)], closers.Select(c => (c.Closer, c.DistanceFrom, c.DistanceTo)));
        Assert.Equal(Math.Log(0.9 / 0.2), closers[0].MeanLogRatio, 1e-5);
        // Every class the Worker can store has its row, with the C# name.
        var names = await db.CharacterClasses.OrderBy(c => c.Id).Select(c => c.Name).ToListAsync();
        Assert.Equal(Enum.GetValues<CharacterClass>().Select(c => c.Name()), names);
    }

    /// <summary>
    /// Every table of both pages, as the reader sees it (tags dropped, whitespace collapsed): each oracle step per run
    /// with the paper's share beside (the sweep is made paper-like), the totals, the details, small against large,
    /// the comparison, the classes and the closers; a run's name is encoded, never markup.
    /// </summary>
    [Fact]
    public async Task AnalysesPage_AndRunSection_ShowEveryNumberAndLabel_WithThePapersBeside()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var (sweep, small, large) = await CreateAsync(connection);
        await using (var db = orchestrator.Db())
        {
            await PaperComparisonTests.MakePaperLike(db, sweep, paperFile: true, paperProtocol: true);
            await db.Sweeps.Where(s => s.Id == sweep).ExecuteUpdateAsync(s => s.SetProperty(x => x.Name, "<b>errors</b> & co"));
        }

        var html = await orchestrator.Http.GetStringAsync($"/sweeps/{sweep}/analyses");
        var runHtml = await orchestrator.Http.GetStringAsync($"/runs/{large}");
        await File.WriteAllTextAsync(Path.Combine(TestPaths.Artifacts("pages"), "analyses.html"), html);
        await File.WriteAllTextAsync(Path.Combine(TestPaths.Artifacts("pages"), "run-analyses.html"), runHtml);
        var text = Text(html);
        var runText = Text(runHtml[runHtml.IndexOf("id=\"run-paper-analyses\"", StringComparison.Ordinal)..]);

        Assert.DoesNotContain("<b>errors</b>", html, StringComparison.Ordinal);
        Assert.Contains($"sweep {sweep}: <b>errors</b> & co (generated)", text, StringComparison.Ordinal);
        Assert.Contains($"Sweep {sweep}: where the errors are (the paper's Sections 4.2 and 4.3)", text, StringComparison.Ordinal);
        Assert.Contains($"src=\"/sweeps/{sweep}/errors.svg\"", html, StringComparison.Ordinal);
        Assert.Contains($"src=\"/runs/{large}/versus-ngram.svg\"", html, StringComparison.Ordinal);
        Assert.Contains("An error is a test character given probability < 0.5.", text, StringComparison.Ordinal);
        Assert.Contains("n-gram (some n-gram model, n = 1..9, gives it p ≥ 0.5)", text, StringComparison.Ordinal);
        foreach (var expected in new[]
        {
            $"oracle run {small}: lstm 1x8 (ours) run {large}: lstm 1x16 (ours) paper, best LSTM",
            "1. n-gram 2 (22.2%) 1 (14.3%) 18.0% 2. dynamic memory 1 (11.1%) 1 (14.3%) 6.0% 3. rare words 1 (11.1%) 1 (14.3%) 9.0% " +
            "4. word model 1 (11.1%) 1 (14.3%) 37.0% 5. punctuation 1 (11.1%) 1 (14.3%) 6. boost 2 (22.2%) 1 (14.3%) 7. unexplained 1 (11.1%) 1 (14.3%) " +
            "all errors 9 of 11 (81.8%) 7 of 11 (63.6%) 140K of 330K (42.0%)",
            $"run oracle detail errors share {small} n-gram 2-gram 1 11.1% {small} n-gram 3-gram 1 11.1% {small} dynamic memory within 100 1 11.1% " +
            $"{small} rare words seen 2 times in train 1 11.1% {small} word model after space 1 11.1% {small} punctuation punctuation 1 11.1% " +
            $"{small} boost +0.1 1 11.1% {small} boost +0.2 1 11.1% {small} unexplained p < 0.1 1 11.1% {large} n-gram 3-gram 1 14.3%",
            $"{large} unexplained p < 0.1 1 14.3%",
            $"The small model against the large one lstm: run {small} (800 parameters) made 9 errors, run {large} (1,600 parameters) 7: 2 fewer. " +
            "The paper: its small LSTM made 44K more errors than its best; 81.8% of them n-gram errors, 11.4% boost.",
            "oracle small (ours) large (ours) difference share of the difference 1. n-gram 2 1 1 50.0% 2. dynamic memory 1 1 0 0.0% 3. rare words 1 1 0 0.0% " +
            "4. word model 1 1 0 0.0% 5. punctuation 1 1 0 0.0% 6. boost 2 1 1 50.0% 7. unexplained 1 1 0 0.0%",
            "Section 4.2: each run against the n-gram run characters mean p, model mean p, n-gram errors, model errors, n-gram both model only n-gram only " +
            $"run {small}: lstm 1x8 11 0.350 0.336 (20-gram) 9 8 6 3 2 run {large}: lstm 1x16 11 0.436 0.336 (20-gram) 7 8 6 1 2",
            $"The best analysed run, run {large}: lstm 1x16 (each run's page has its own):",
            "character class occurrences mean p, model mean p, n-gram errors, model errors, n-gram lowercase letter 8 0.363 0.400 6 5 " +
            "punctuation 1 0.400 0.200 1 1 quote 1 0.600 0.100 0 1 closing bracket 1 0.900 0.200 0 1",
            "closer distance to the opener occurrences mean p, model mean p, n-gram mean ln(p model / p n-gram) bracket 2-3 1 0.900 0.200 1.504 quote 32-63 1 0.600 0.100 1.792",
            "The paper (Linux kernel, closing braces) finds the LSTM's advantage over the 20-gram growing with the distance to the opening brace up to about 60 characters.",
            "In SQL: the views error_analysis, error_analysis_scaling, prediction_comparison, prediction_by_class and closing_by_distance.",
        })
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }

        // The run's page: the same tables for this run alone, named "this run", and its links.
        foreach (var expected in new[]
        {
            "Where the errors are (the paper's Sections 4.2 and 4.3)",
            "oracle this run (ours) paper, best LSTM 1. n-gram 1 (14.3%) 18.0% 2. dynamic memory 1 (14.3%) 6.0% 3. rare words 1 (14.3%) 9.0% " +
            "4. word model 1 (14.3%) 37.0% 5. punctuation 1 (14.3%) 6. boost 1 (14.3%) 7. unexplained 1 (14.3%) all errors 7 of 11 (63.6%) 140K of 330K (42.0%)",
            $"Each step's details run oracle detail errors share {large} n-gram 3-gram 1 14.3%",
            "this run 11 0.436 0.336 (20-gram) 7 8 6 1 2 character class occurrences",
            "lowercase letter 8 0.363 0.400 6 5 punctuation 1 0.400 0.200 1 1 quote 1 0.600 0.100 0 1 closing bracket 1 0.900 0.200 0 1",
            "bracket 2-3 1 0.900 0.200 1.504 quote 32-63 1 0.600 0.100 1.792",
            "The whole sweep: its analyses page. PNG: errors, against the n-gram.",
        })
        {
            Assert.Contains(expected, runText, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("The small model against the large one", runText, StringComparison.Ordinal);
        foreach (var link in new[] { $"/sweeps/{sweep}/analyses", $"/runs/{large}/errors.png", $"/runs/{large}/versus-ngram.png", $"/runs/{large}/errors.svg" })
        {
            Assert.Contains($"\"{link}\"", runHtml, StringComparison.Ordinal);
        }
    }

    /// <summary>What a reader sees of some HTML: tags dropped, entities decoded, whitespace collapsed to one space.</summary>
    private static string Text(string html) =>
        System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(
            System.Text.RegularExpressions.Regex.Replace(html, "<[^>]*>", " "), @"\s+", " ")).Replace(" .", ".").Replace(" ,", ",").Replace(" :", ":").Replace("( ", "(").Replace(" )", ")");

    [Fact]
    [Trait("Category", "Browser")]
    public async Task AnalysesPage_AndRunPage_ShowTheViewsNumbers_InTablesAndPictures()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var (sweep, small, large) = await CreateAsync(connection);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardBrowserTests.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        // The sweep's page: the breakdown of both runs, the small against the large, and the best run's comparison.
        await page.GotoAsync($"{orchestrator.Address}/sweeps/{sweep}/analyses");
        foreach (var image in new[] { "#sweep-errors", "#sweep-versus-ngram" })
        {
            await page.WaitForFunctionAsync($"() => {{ const i = document.querySelector('{image}'); return i.complete && i.naturalWidth > 0; }}");
        }
        Assert.Equal("7 of 11 (63.6%)", await page.InnerTextAsync($"#error-table td[data-run='{large}'][data-total]"));
        Assert.Equal("9 of 11 (81.8%)", await page.InnerTextAsync($"#error-table td[data-run='{small}'][data-total]"));
        Assert.Equal("2 (22.2%)", await page.InnerTextAsync($"#error-table td[data-run='{small}'][data-step='1']"));
        Assert.Equal("1", await page.InnerTextAsync("table.scaling td[data-step='6']"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(TestPaths.Artifacts("screenshots"), "analyses.png"), FullPage = true });

        // The pictures carry the same numbers as text.
        var sweepChart = await orchestrator.Http.GetStringAsync($"/sweeps/{sweep}/errors.svg");
        Assert.Matches(@">\s*22%\s*</text>", sweepChart);                        // a label on its own: the share only, side by side
        Assert.Contains("7 errors in 11 characters (63.6%)", sweepChart, StringComparison.Ordinal);
        var versus = await orchestrator.Http.GetStringAsync($"/runs/{large}/versus-ngram.svg");
        foreach (var label in new[] { "6 (54.5%)", "1 (9.1%)", "2 (18.2%)", "0.90 (n=1)", ")]}" }) Assert.Contains(label, versus, StringComparison.Ordinal);

        // A run's page has its own section with the same numbers.
        await page.GotoAsync($"{orchestrator.Address}/runs/{large}");
        await page.WaitForFunctionAsync("() => { const i = document.getElementById('run-errors'); return i.complete && i.naturalWidth > 0; }");
        Assert.Equal("1 (14.3%)", await page.InnerTextAsync($"#run-paper-analyses #error-table td[data-run='{large}'][data-step='4']"));
        Assert.Equal("6", await page.InnerTextAsync("#run-paper-analyses #comparison-table td[data-overlap='both']"));
        Assert.Equal(["bracket", "quote"], await page.Locator("#run-paper-analyses #closer-table tr[data-closer]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.closer)"));
        Assert.Empty(errors);
    }
}
