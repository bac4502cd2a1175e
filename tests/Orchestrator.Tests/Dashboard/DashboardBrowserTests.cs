using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Dashboard;

/// <summary>
/// A person's path through the dashboard in Debian's Chromium: submit a small sweep from the form (uploading a
/// generated corpus), watch its table fill in without a reload, open a run, see its learning curve and samples,
/// and step through units in the cell visualiser. Screenshots go to $RNNSWEEP_HOME/test-artifacts/screenshots
/// and docs/images (for the README).
/// </summary>
[Trait("Category", "Browser")]
[Collection(DatabaseCollection.Name)]
public sealed class DashboardBrowserTests(PostgresFixture postgres, ITestOutputHelper output)
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>Debian's Chromium, headless, with nothing that reaches out to the network (none is allowed here).</summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        TestCategories.RequireOutsideFastRun(TestCategories.Browser, "a browser");
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    [Fact]
    public async Task SweepPage_CancelAndResumeButtons_ChangeTheCellsInTheDatabaseAndOnThePage()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var sweep = await Faults.FaultSweep.SubmitAsync(orchestrator, Faults.FaultSweep.Spec("buttons", ["lstm", "gru"])); // no Worker: cells stay queued
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{orchestrator.Address}/sweeps/{sweep}");

        await page.ClickAsync("#cancel");
        await Assertions.Expect(page.Locator("#action-result")).ToHaveTextAsync("2 cells cancelled");
        await Assertions.Expect(page.Locator("table[data-loss=test] td.s-cancelled")).ToHaveCountAsync(2); // the live update, no reload
        await Assertions.Expect(page.Locator("#cancel")).ToHaveCountAsync(0); // nothing left to cancel: the button goes with the same update
        await using (var db = orchestrator.Db())
        {
            Assert.All(await db.Runs.Where(r => r.SweepId == sweep).ToListAsync(), r => Assert.Equal(RunStatus.Cancelled, r.Status));
        }

        await page.ClickAsync("#resume");
        await Assertions.Expect(page.Locator("#action-result")).ToHaveTextAsync("2 cells enqueued again");
        await Assertions.Expect(page.Locator("table[data-loss=test] td.s-queued")).ToHaveCountAsync(2);
        await using (var db = orchestrator.Db())
        {
            Assert.All(await db.Runs.Where(r => r.SweepId == sweep).ToListAsync(), r => Assert.Equal((RunStatus.Queued, true), (r.Status, r.JobId is not null)));
        }
    }

    [Fact]
    public async Task SubmitForm_ShowsEachErrorNextToItsField_AndStoresNothing()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        var before = await RowCounts.ReadAsync(connection);

        await page.GotoAsync($"{orchestrator.Address}/sweeps/new");
        await page.FillAsync("input[name=name]", "<b>bold</b>");
        await page.FillAsync("input[name=corpus]", "no-such-corpus");
        await page.CheckAsync("input[name=models][value=lstm]");
        await page.FillAsync("input[name=layers]", "0");
        await page.FillAsync("input[name=hiddenSizes]", "16");
        await page.ClickAsync("button[type=submit]");

        var layers = page.Locator(".form-error[data-field=layers]");
        await Assertions.Expect(layers).ToContainTextAsync("between 1 and 8");
        await Assertions.Expect(page.Locator(".form-error[data-field=name]")).Not.ToBeEmptyAsync();
        await Assertions.Expect(page.Locator(".form-error[data-field=corpus]")).ToContainTextAsync("unknown corpus 'no-such-corpus'");
        Assert.Equal(before, await RowCounts.ReadAsync(connection));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(TestPaths.Artifacts("screenshots"), "submit-errors.png"), FullPage = true });
    }

    [Fact]
    [Trait("Category", "WorkerProcess")]
    public async Task Dashboard_ShowsASweepSubmittedFromTheForm_FillingInLiveAndMatchingTheDatabase()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium");
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        await using var worker = WorkerProcess.Start(connection, "browser-worker");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        try
        {
            // 1. The form: a custom 2 x 1 x 2 grid on an uploaded corpus (the end-to-end test's tiny hyperparameters).
            await page.GotoAsync($"{orchestrator.Address}/sweeps/new");
            await page.SelectOptionAsync("select[name=preset]", ""); // the form opens on a preset; this grid is custom
            await page.FillAsync("input[name=name]", "browser");
            await page.FillAsync("input[name=corpus]", "generated");
            await page.SetInputFilesAsync("input[name=upload]", new FilePayload
            {
                Name = "generated.txt", MimeType = "text/plain", Buffer = System.Text.Encoding.UTF8.GetBytes(GeneratedText.Sentences(12_000)),
            });
            await page.CheckAsync("input[name=models][value=lstm]");
            await page.CheckAsync("input[name=models][value=gru]");
            await page.FillAsync("input[name=layers]", "1");
            await page.FillAsync("input[name=hiddenSizes]", "8 16");
            foreach (var (field, value) in new[] { ("maxEpochs", "3"), ("patience", "3"), ("seqLength", "16"), ("batchSize", "8"), ("learningRate", "0.01"), ("seed", "7") })
            {
                await page.FillAsync($"input[name='hyperparameters.{field}']", value);
            }
            await page.SelectOptionAsync("select[name='hyperparameters.splitLayout']", "streams");
            await page.ClickAsync("button[type=submit]");
            await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex(@"/sweeps/\d+$"));
            var sweepId = long.Parse(page.Url.Split('/').Last(), CultureInfo.InvariantCulture);

            // 2. The table fills in while we watch: no navigation happens (the marker survives).
            await page.EvaluateAsync("window.__noReload = true");
            Assert.Equal(4, await page.Locator("table[data-loss=test] td[data-run]").CountAsync());
            await page.WaitForFunctionAsync(
                "() => [...document.querySelectorAll('table[data-loss=test] td[data-run]')].every(td => td.classList.contains('s-" + RunStatus.Succeeded + "') && td.classList.contains('v'))",
                null, new PageWaitForFunctionOptions { Timeout = 180_000, PollingInterval = 500 });
            Assert.True(await page.EvaluateAsync<bool>("window.__noReload === true"), "the page reloaded instead of patching cells");

            // 3. Every number on the page is the database's, formatted as the paper's three decimals; the best is marked.
            await using (var db = orchestrator.Db())
            {
                var runs = await db.Runs.AsNoTracking().Where(r => r.SweepId == sweepId).ToListAsync();
                Assert.All(runs, r => Assert.Equal("streams", System.Text.Json.JsonDocument.Parse(r.Hyperparameters).RootElement.GetProperty("splitLayout").GetString()));
                foreach (var (table, pick) in new (string, Func<Shared.Schema.Run, double?>)[] { ("test", r => r.TestLoss), ("val", r => r.ValLoss), ("train", r => r.TrainLoss) })
                {
                    foreach (var run in runs)
                    {
                        var cell = page.Locator($"table[data-loss={table}] td[data-run='{run.Id}']");
                        Assert.Equal(pick(run)!.Value.ToString("0.000", CultureInfo.InvariantCulture), (await cell.InnerTextAsync()).Replace("★", "").Trim());
                    }
                }
                var best = runs.MinBy(r => r.TestLoss)!;
                Assert.Equal(best.Id.ToString(CultureInfo.InvariantCulture), await page.GetAttributeAsync("table[data-loss=test] td.best", "data-run"));
            }
            // The overlaid learning curves were drawn again with the finished runs (the live update changes the image's address).
            await page.WaitForFunctionAsync("() => { const i = document.getElementById('curves'); return i.src.includes('&t=') && i.complete && i.naturalWidth > 0; }",
                null, new PageWaitForFunctionOptions { Timeout = 30_000, PollingInterval = 500 });
            await SaveScreenshotAsync(page, "sweep.png");

            // 4. A run: its learning curve (ScottPlot SVG), its samples, its Hangfire job link.
            await SweepWaiter.UntilFinishedAsync(orchestrator.Db, sweepId, TimeSpan.FromMinutes(3), () => worker.Output, analyzed: true);
            var runId = await page.GetAttributeAsync("table[data-loss=test] td.best", "data-run");
            await page.ClickAsync($"table[data-loss=test] td[data-run='{runId}'] a");
            await page.WaitForURLAsync($"**/runs/{runId}");
            await page.WaitForFunctionAsync("() => { const i = document.getElementById('curves'); return i.complete && i.naturalWidth > 0; }");
            var curve = await orchestrator.Http.GetStringAsync($"/runs/{runId}/curves.svg");
            Assert.Contains("<svg", curve, StringComparison.Ordinal);
            Assert.Equal(3, await page.Locator("#samples .sample pre:not(.pending)").CountAsync());
            Assert.StartsWith("/hangfire/jobs/details/", await page.GetAttributeAsync("#job", "href"), StringComparison.Ordinal);

            // 5. The cell visualiser: next unit changes the label and the characters' colours.
            await page.WaitForSelectorAsync("#cells[data-ready=true]");
            const string colours = "() => [...document.querySelectorAll('#cell-text span')].slice(0, 200).map(s => s.style.background).join('|')";
            // It opens on the most interpretable unit (layer 0 unit 0 when no unit passes its threshold).
            var (openLayer, openUnit) = (int.Parse((await page.GetAttributeAsync("#cells", "data-layer"))!), int.Parse((await page.GetAttributeAsync("#cells", "data-unit"))!));
            Assert.Equal($"layer {openLayer} unit {openUnit}", await page.InnerTextAsync("#unit-label"));
            var before = await page.EvaluateAsync<string>(colours);
            await page.ClickAsync("#next-unit");
            Assert.NotEqual($"layer {openLayer} unit {openUnit}", await page.InnerTextAsync("#unit-label"));
            Assert.NotEqual(before, await page.EvaluateAsync<string>(colours));
            Assert.True(await page.Locator("#thresholds tbody tr").CountAsync() >= 1, "the features' thresholds are shown");
            if (await page.Locator("#units tr.pick").CountAsync() > 0)
            {
                var first = page.Locator("#units tr.pick >> nth=0");
                await first.ClickAsync();
                Assert.Equal($"layer {await first.GetAttributeAsync("data-layer")} unit {await first.GetAttributeAsync("data-unit")}", await page.InnerTextAsync("#unit-label"));
            }
            // The address names the unit shown, and a page opened on that address shows the same unit, not the one
            // it opens on by default; a unit the run does not have is named, and the default shown.
            await page.ClickAsync("#next-unit");
            if (await page.InnerTextAsync("#unit-label") == $"layer {openLayer} unit {openUnit}") await page.ClickAsync("#next-unit");
            var shown = await page.InnerTextAsync("#unit-label");
            Assert.NotEqual($"layer {openLayer} unit {openUnit}", shown);
            var link = page.Url;
            Assert.Matches("#layer=[0-9]+&unit=[0-9]+$", link);
            await page.GotoAsync("about:blank");
            await page.GotoAsync(link);
            await page.WaitForSelectorAsync("#cells[data-ready=true]");
            Assert.Equal(shown, await page.InnerTextAsync("#unit-label"));
            await page.GotoAsync("about:blank");
            await page.GotoAsync(link.Split('#')[0] + "#layer=7&unit=99999");
            await page.WaitForSelectorAsync("#cells[data-ready=true]");
            Assert.Equal($"layer {openLayer} unit {openUnit}", await page.InnerTextAsync("#unit-label"));
            Assert.StartsWith("this run has no layer 7 unit 99999", await page.InnerTextAsync("#unit-note"));
            await SaveScreenshotAsync(page, "run.png");
            Assert.Empty(errors);
        }
        finally
        {
            worker.WriteTo(output);
        }
    }

    private async Task SaveScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(TestPaths.Artifacts("screenshots"), name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine($"screenshot {path}");
        // why: a test run must not change the checkout; the README's pictures are refreshed on request only.
        if (Environment.GetEnvironmentVariable("RNNSWEEP_UPDATE_SCREENSHOTS") == "1")
        {
            File.Copy(path, Path.Combine(TestPaths.RepoRoot, "docs", "images", name), overwrite: true);
        }
    }
}
