using System.CommandLine;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Tests.Corpora;
using RnnSweep.Orchestrator.Tests.Support;

namespace RnnSweep.Orchestrator.Tests.Dashboard;

/// <summary>
/// The submit form's "build it from source files" part in Debian's Chromium: a recipe filled in on the form gives the
/// same stored corpus (bytes, checksum, recipe) as the CLI's flags and the API's <c>corpusRecipe</c> for the same
/// recipe, and the sweep page shows that recipe; the server's errors on a recipe are shown beside the field they name.
/// The source is a small generated tree inside the one configured source root; no Worker runs (the runs stay queued).
/// </summary>
[Trait("Category", "Browser")]
[Collection(DatabaseCollection.Name)]
public sealed class SubmitFormRecipeTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly SourceTree _tree = new(); // its folder is the source root; the tree is its "src" folder
    private OrchestratorHost _host = null!;
    private const string Queue = "no-worker-listens";
    // Above 2^53: a seed that a double would round, so the test sees whether the form sends it as typed.
    private const long Seed = 9_007_199_254_740_993;
    private const long Cap = 6000;

    public async Task InitializeAsync() =>
        _host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), $"--Corpora:SourceRoots:0={_tree.Dir}",
            $"--Corpora:CacheDir={Path.Combine(_tree.Dir, "cache")}", "--Corpora:AllowDownload=false", "--Reaper:Interval=01:00:00");

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _tree.Dispose();
    }

    private static readonly PageWaitForURLOptions Slow = new() { Timeout = 120_000 };
    private static readonly LocatorAssertionsToContainTextOptions Patient = new() { Timeout = 60_000 };

    /// <summary>The grid every path submits: one tiny LSTM on the quick preset, on a queue no Worker listens on.</summary>
    private static readonly (string Field, string Value)[] Grid =
        [("layers", "1"), ("hiddenSizes", "8"), ("hyperparameters.maxEpochs", "1"), ("hyperparameters.seqLength", "16"), ("hyperparameters.batchSize", "4"), ("queue", Queue)];

    private async Task<IPage> OpenFormAsync(IBrowser browser)
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{_host.Address}/sweeps/new");
        foreach (var model in new[] { "gru", "rnn" }) await page.UncheckAsync($"input[name=models][value={model}]");
        await page.CheckAsync("input[name=models][value=lstm]");
        foreach (var (field, value) in Grid) await page.FillAsync($"input[name='{field}']", value);
        await page.ClickAsync("#corpus-recipe summary"); // the recipe's part opens like any <details>
        return page;
    }

    [Fact]
    public async Task ARecipeFromTheForm_StoresTheCorpusTheCliAndTheApiBuildForIt_AndTheSweepPageShowsIt()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardBrowserTests.LaunchAsync(playwright);
        var page = await OpenFormAsync(browser);
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        // The form says where a source may be: the configured root, resolved.
        await Assertions.Expect(page.Locator(".field[data-for='corpusRecipe.source'] small")).ToContainTextAsync(SourceRoots.Resolve(_tree.Dir));
        await page.FillAsync("input[name=name]", "from-form");
        await page.FillAsync("input[name='corpusRecipe.source']", _tree.Root);
        Assert.Equal("src", await page.InputValueAsync("input[name=corpus]")); // named after the source, as the CLI names it
        await page.FillAsync("input[name='corpusRecipe.include']", "*.c, *.h");
        await page.FillAsync("input[name='corpusRecipe.exclude']", "drivers/usb/** Documentation/**"); // spaces separate globs too
        await page.FillAsync("input[name='corpusRecipe.seed']", Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.FillAsync("input[name='corpusRecipe.separator']", @"\n\n");
        await page.FillAsync("input[name='corpusRecipe.maxBytes']", Cap.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(new Regex(@"/sweeps/\d+$"), Slow);
        var formSweep = long.Parse(page.Url.Split('/').Last(), System.Globalization.CultureInfo.InvariantCulture);

        // The stored corpus and its recipe, as the form gave it.
        await using var db = _host.Db();
        var corpus = await db.Sweeps.Where(s => s.Id == formSweep).Select(s => s.Corpus!).SingleAsync();
        var recipe = JsonNode.Parse(corpus.Recipe!)!;
        Assert.Equal(_tree.Root, (string?)recipe["source"]);
        Assert.Equal(new[] { "*.c", "*.h" }, recipe["include"]!.AsArray().Select(g => (string)g!));
        Assert.Equal(new[] { "drivers/usb/**", "Documentation/**" }, recipe["exclude"]!.AsArray().Select(g => (string)g!));
        Assert.Equal(Seed, (long)recipe["seed"]!);
        Assert.Equal("\n\n", (string?)recipe["separator"]);
        Assert.Equal(Cap, (long)recipe["maxBytes"]!);
        Assert.InRange(corpus.Bytes, Cap - 3, Cap);
        var bytes = (await db.CorpusChunks.Where(c => c.CorpusId == corpus.Id).OrderBy(c => c.Index).ToListAsync()).SelectMany(c => c.Data).ToArray();
        Assert.Equal(corpus.Bytes, bytes.Length);
        Assert.Equal(corpus.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        var text = Encoding.UTF8.GetString(bytes);
        Assert.Contains("\n\n/* ", text, StringComparison.Ordinal); // files joined by the separator
        Assert.DoesNotContain("/* drivers/usb", text, StringComparison.Ordinal);
        Assert.DoesNotContain("not code", text, StringComparison.Ordinal); // README.md is not included

        // The CLI's flags for the same recipe (parsed as `rnnsweep submit` parses them, submitted as it submits): the same corpus row.
        var specFile = Path.Combine(_tree.Dir, "cli-spec.json");
        await File.WriteAllTextAsync(specFile, JsonSerializer.Serialize(new
        {
            models = new[] { "lstm" }, layers = new[] { 1 }, hiddenSizes = new[] { 8 }, queue = Queue,
            hyperparameters = new { maxEpochs = 1, seqLength = 16, batchSize = 4 },
        }));
        var cliSweep = await SubmitWithCliAsync("--spec", specFile, "--preset", "quick", "--name", "from-cli", "--corpus", _tree.Root,
            "--include", "*.c,*.h", "--exclude", "drivers/usb/**,Documentation/**", "--corpus-seed", Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--separator", @"\n\n", "--corpus-max-bytes", Cap.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The API with the same corpusRecipe: the same corpus row again.
        using var api = await _host.Http.PostAsJsonAsync("/api/sweeps", new
        {
            name = "from-api", preset = "quick", corpus = "src", models = new[] { "lstm" }, layers = new[] { 1 }, hiddenSizes = new[] { 8 }, queue = Queue,
            hyperparameters = new { maxEpochs = 1, seqLength = 16, batchSize = 4 },
            corpusRecipe = new { source = _tree.Root, include = new[] { "*.c", "*.h" }, exclude = new[] { "drivers/usb/**", "Documentation/**" }, seed = Seed, separator = "\n\n", maxBytes = Cap },
        });
        Assert.True(api.StatusCode == HttpStatusCode.Created, await api.Content.ReadAsStringAsync());
        var apiSweep = (await api.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        var sweeps = await db.Sweeps.AsNoTracking().Where(s => s.Id == formSweep || s.Id == cliSweep || s.Id == apiSweep).ToListAsync();
        Assert.Equal(3, sweeps.Count);
        Assert.All(sweeps, s => Assert.Equal(corpus.Id, s.CorpusId)); // same bytes, so one stored corpus
        Assert.Equal(1, await db.Corpora.CountAsync());
        // And the recipe each spec recorded is the same recipe, field by field.
        var formRecipe = JsonNode.Parse(sweeps.Single(s => s.Id == formSweep).Spec)!["corpusRecipe"];
        foreach (var other in sweeps.Where(s => s.Id != formSweep))
        {
            Assert.True(JsonNode.DeepEquals(formRecipe, JsonNode.Parse(other.Spec)!["corpusRecipe"]), $"{formRecipe} vs {other.Spec}");
        }
        // The CLI's builder on its own (what `rnnsweep sweep --corpus` runs): the same bytes and the same stored recipe.
        await using (var scope = _host.App.Services.CreateAsyncScope())
        {
            var built = await scope.ServiceProvider.GetRequiredService<CorpusBuilder>().BuildAsync(new CorpusRecipe
            {
                Source = _tree.Root, Include = ["*.c", "*.h"], Exclude = ["drivers/usb/**", "Documentation/**"], Seed = Seed, Separator = "\n\n", MaxBytes = Cap,
            }, "corpusRecipe", SourceAccess.LocalUser, CancellationToken.None);
            Assert.Equal((corpus.Sha256, corpus.Bytes), (built.Sha256, built.Bytes));
            Assert.True(JsonNode.DeepEquals(recipe, JsonNode.Parse(built.Recipe!)), $"{corpus.Recipe} vs {built.Recipe}");
        }

        // The sweep page shows the recipe and the files taken.
        var shown = page.Locator("#corpus-recipe-info");
        await Assertions.Expect(shown.Locator("[data-recipe=source]")).ToHaveTextAsync(_tree.Root);
        await Assertions.Expect(shown.Locator("[data-recipe=include]")).ToHaveTextAsync("*.c, *.h");
        await Assertions.Expect(shown.Locator("[data-recipe=seed]")).ToHaveTextAsync($"seed {Seed}");
        await Assertions.Expect(shown.Locator("[data-recipe=separator]")).ToHaveTextAsync(@"\n\n");
        await Assertions.Expect(shown.Locator("[data-recipe=maxBytes]")).ToHaveTextAsync("cap 6,000 bytes");
        var files = recipe["files"]!.GetValue<int>();
        await Assertions.Expect(shown.Locator("[data-recipe=files]")).ToHaveTextAsync($"{recipe["filesUsed"]!.GetValue<int>()} of {files} files taken");
        Assert.Equal(_tree.Files.Count(f => (f.EndsWith(".c") || f.EndsWith(".h")) && !f.StartsWith("drivers/usb/") && !f.StartsWith("Documentation/")), files);
        await Assertions.Expect(page.Locator("#corpus-info")).ToContainTextAsync(corpus.Sha256[..12]);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(TestPaths.Artifacts("screenshots"), "sweep-recipe.png"), FullPage = true });
        Assert.Empty(errors);
    }

    /// <summary>Parses <paramref name="args"/> with the options <c>rnnsweep submit</c> has and submits as it does (<see cref="LocalServer.SubmitAsync"/>).</summary>
    private async Task<long> SubmitWithCliAsync(params string[] args)
    {
        var (specFile, preset, name, corpus) = (CliOptions.SpecFile(), CliOptions.Preset(), new Option<string?>("--name"), CliOptions.Corpus());
        var (models, layers, hiddenSizes) = (CliOptions.Models(), CliOptions.Layers(), CliOptions.HiddenSizes());
        var command = new RootCommand { specFile, preset, name, corpus, models, layers, hiddenSizes };
        var recipe = new CorpusRecipeOptions();
        recipe.AddTo(command);
        var parse = command.Parse(args);
        Assert.Empty(parse.Errors);
        var spec = recipe.Apply(parse, CliOptions.ReadSpec(parse, specFile, preset, name, models, layers, hiddenSizes, corpus));
        return await LocalServer.SubmitAsync(_host.App, spec, CancellationToken.None);
    }

    [Fact]
    public async Task ABadGlobOrAMissingSource_IsShownBesideItsField_AndNothingIsStored()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardBrowserTests.LaunchAsync(playwright);
        var before = await RowCounts.ReadAsync(_host.ConnectionString);
        var page = await OpenFormAsync(browser);
        // The known corpora stay offered by name beside the recipe.
        foreach (var known in new[] { "linux", "linux-full", "tinyshakespeare" })
        {
            Assert.Equal(1, await page.Locator($"datalist#corpora option[value='{known}']").CountAsync());
        }

        var include = page.Locator(".form-error[data-field='corpusRecipe.include']");
        var source = page.Locator(".form-error[data-field='corpusRecipe.source']");
        var separator = page.Locator(".form-error[data-field='corpusRecipe.separator']");
        // A glob with a backslash: the server's message, beside the include field, numbered as the second glob.
        await page.FillAsync("input[name='corpusRecipe.source']", Path.Combine(_tree.Dir, "no-such-tree"));
        await page.FillAsync("input[name='corpusRecipe.include']", @"*.c drivers\*.h");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(include).ToContainTextAsync(@"#2: 'drivers\*.h' contains", Patient);
        await Assertions.Expect(source).ToBeEmptyAsync();
        await Assertions.Expect(page.Locator(".form-error[data-field=corpus]")).ToBeEmptyAsync(); // the name is the one to store the new corpus under

        // The glob fixed: the missing source, beside the source field (the include's error is gone).
        await page.FillAsync("input[name='corpusRecipe.include']", "*.c");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(source).ToContainTextAsync("no such folder or file", Patient);
        await Assertions.Expect(include).ToBeEmptyAsync();

        // A source outside the roots is refused with the roots named; an unknown escape in the separator is caught in the page.
        await page.FillAsync("input[name='corpusRecipe.source']", "/etc");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(source).ToContainTextAsync("outside the folders the Orchestrator reads corpus sources from", Patient);
        await page.FillAsync("input[name='corpusRecipe.source']", _tree.Root);
        await page.FillAsync("input[name='corpusRecipe.separator']", @"\q");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(separator).ToContainTextAsync(@"'\q' is not an escape");
        await Assertions.Expect(source).ToBeEmptyAsync();

        Assert.Equal(before, await RowCounts.ReadAsync(_host.ConnectionString));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(TestPaths.Artifacts("screenshots"), "submit-recipe-errors.png"), FullPage = true });
    }
}
