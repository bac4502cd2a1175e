using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using System.Text.Json;
using Hangfire;
using Hangfire.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using Npgsql;
using RnnSweep.Shared.Jobs;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Tests.Dashboard;

/// <summary>The dashboard's pages, charts, OpenAPI document and Hangfire links over a sweep written straight to the tables.</summary>
public sealed class DashboardEndpointsTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Pages_ChartsAndOpenApi_AreServed_ForAStoredSweep()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var sweepId = await SyntheticSweep.CreateAsync(connection, "endpoints", "warandpeace-test", ["lstm", "rnn"], [1, 2], [64, 128, 256, 512, 1024]); // run 17 of 20 failed
        await using var db = orchestrator.Db();
        var run = db.Runs.Where(r => r.SweepId == sweepId).OrderBy(r => r.Id).First();

        var sweepPage = await orchestrator.Http.GetStringAsync($"/sweeps/{sweepId}");
        // Not the paper's file and protocol: its numbers are not shown beside (PaperComparisonTests shows when they are).
        Assert.DoesNotContain("Table 1 (paper)", sweepPage, StringComparison.Ordinal);
        Assert.Contains("CUDA out of memory (synthetic)", sweepPage, StringComparison.Ordinal); // a failed cell's error is its title
        Assert.Contains("endpoints", await orchestrator.Http.GetStringAsync("/"), StringComparison.Ordinal);
        Assert.Contains("hyperparameters.maxEpochs", await orchestrator.Http.GetStringAsync("/sweeps/new"), StringComparison.Ordinal);
        // A link may open the form on a preset; an unknown one is refused by name.
        Assert.Contains("<option value=\"paper\" selected", await orchestrator.Http.GetStringAsync("/sweeps/new?preset=paper"), StringComparison.Ordinal);
        Assert.Contains("<option value=\"quick\" selected", await orchestrator.Http.GetStringAsync("/sweeps/new"), StringComparison.Ordinal);
        Assert.Contains("<option value=\"quick\" selected", await orchestrator.Http.GetStringAsync("/sweeps/new?preset="), StringComparison.Ordinal);
        var unknown = await orchestrator.Http.GetAsync("/sweeps/new?preset=papr");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, unknown.StatusCode);
        var unknownPage = await unknown.Content.ReadAsStringAsync();
        Assert.Contains("unknown preset &#x27;papr&#x27; (expected one of quick, paper, seed)", unknownPage, StringComparison.Ordinal);
        Assert.Equal("text/html", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<nav>", unknownPage, StringComparison.Ordinal);                    // in the dashboard's frame, not a bare JSON string
        // A long name is not echoed whole.
        var longName = await orchestrator.Http.GetAsync($"/sweeps/new?preset={new string('x', 5_000)}");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, longName.StatusCode);
        var longPage = await longName.Content.ReadAsStringAsync();
        Assert.Contains($"unknown preset &#x27;{new string('x', 40)}...&#x27;", longPage, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', 41), longPage, StringComparison.Ordinal);
        Assert.Contains($"Run {run.Id}", await orchestrator.Http.GetStringAsync($"/runs/{run.Id}"), StringComparison.Ordinal);

        // Charts: ScottPlot SVG with its text, and the saturation plot as a PNG file.
        var curves = await orchestrator.Http.GetStringAsync($"/runs/{run.Id}/curves.svg");
        Assert.StartsWith("<?xml", curves, StringComparison.Ordinal);
        var png = await orchestrator.Http.GetByteArrayAsync($"/runs/{run.Id}/saturation.png");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Equal("text/javascript; charset=utf-8", (await orchestrator.Http.GetAsync("/assets/sweep.js")).Content.Headers.ContentType!.ToString());

        // OpenAPI describes the API the dashboard uses.
        var openApi = JsonDocument.Parse(await orchestrator.Http.GetStringAsync("/openapi/v1.json")).RootElement.GetProperty("paths");
        foreach (var path in new[] { "/api/sweeps", "/api/sweeps/{id}/loss-table", "/api/sweeps/{id}/live", "/api/runs/{id}", "/api/runs/{id}/samples", "/api/corpora/{name}" })
        {
            Assert.True(openApi.TryGetProperty(path, out _), $"{path} is not in /openapi/v1.json");
        }

        // The live poll answers named fields (not positional arrays), and OpenAPI describes its answer.
        var live = JsonDocument.Parse(await orchestrator.Http.GetStringAsync($"/api/sweeps/{sweepId}/live")).RootElement;
        Assert.Equal(20, live.GetProperty("cells").GetArrayLength());
        var cell = live.GetProperty("cells")[0];
        Assert.Equal(run.Id, cell.GetProperty("runId").GetInt64());
        Assert.Equal(run.Status, cell.GetProperty("status").GetString());
        foreach (var field in new[] { "epochsDone", "trainLoss", "valLoss", "testLoss", "note" }) Assert.True(cell.TryGetProperty(field, out _), $"live cell lacks {field}: {cell}");
        var liveAnswer = openApi.GetProperty("/api/sweeps/{id}/live").GetProperty("get").GetProperty("responses").GetProperty("200");
        Assert.True(liveAnswer.TryGetProperty("content", out var content) && content.GetProperty("application/json").TryGetProperty("schema", out _),
            $"/api/sweeps/{{id}}/live has no response schema: {liveAnswer}");

        // Hangfire links back to the results dashboard.
        Assert.Contains("Results dashboard", await orchestrator.Http.GetStringAsync("/hangfire"), StringComparison.Ordinal);
        var missing = await orchestrator.Http.GetAsync("/runs/999999");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("There is no run 999999.", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var noSweep = await orchestrator.Http.GetAsync("/sweeps/999999/analyses");
        Assert.Equal(HttpStatusCode.NotFound, noSweep.StatusCode);
        Assert.Contains("There is no sweep 999999.", await noSweep.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // An address no page has: the same page; under the API a bare 404 for scripts.
        var noPage = await orchestrator.Http.GetAsync("/runs/abc");
        Assert.Equal((HttpStatusCode.NotFound, "text/html"), (noPage.StatusCode, noPage.Content.Headers.ContentType?.MediaType));
        Assert.Contains("There is no page at /runs/abc.", await noPage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // The fallback is for GET: HEAD of a page that exists is not answered "no page".
        using (var head = await orchestrator.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/sweeps/{sweepId}")))
            Assert.NotEqual(HttpStatusCode.NotFound, head.StatusCode);
        var noApi = await orchestrator.Http.GetAsync("/api/nothing");
        Assert.Equal(HttpStatusCode.NotFound, noApi.StatusCode);
        Assert.NotEqual("text/html", noApi.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task JobDisplayName_NamesATrainingJobByItsCellAndSweep()
    {
        await using var one = await OneRunAsync("paper-wp", "lstm", 2, 128);
        var (orchestrator, sweepId, run) = (one.Orchestrator, one.SweepId, one.Run);
        var storage = orchestrator.Service<JobStorage>();

        var train = Job.FromExpression<ITrainRunJob>(j => j.TrainAsync(run.Id, CancellationToken.None));
        Assert.Equal("lstm 2x128 - sweep paper-wp", new RunJobDisplayNameAttribute().Name(storage, train));
        var analyze = Job.FromExpression<IAnalyzeRunJob>(j => j.AnalyzeAsync(run.Id, CancellationToken.None));
        Assert.Equal("analyze lstm 2x128 - sweep paper-wp", new RunJobDisplayNameAttribute(JobSubject.Run, "analyze").Name(storage, analyze));
        var ngram = Job.FromExpression<INGramBaselineJob>(j => j.ComputeAsync(sweepId, CancellationToken.None));
        Assert.Equal("n-gram baseline - sweep paper-wp", new RunJobDisplayNameAttribute(JobSubject.Sweep, "n-gram baseline").Name(storage, ngram));
        var missing = Job.FromExpression<ITrainRunJob>(j => j.TrainAsync(424242, CancellationToken.None));
        Assert.Equal("run 424242", new RunJobDisplayNameAttribute().Name(storage, missing));
    }

    [Fact]
    public async Task RunPage_VanillaRnn_Analysed_SaysItHasNoGates()
    {
        await using var one = await OneRunAsync("rnn-gates", "rnn", 1, 64);
        var (orchestrator, db, run) = (one.Orchestrator, one.Db, one.Run);
        string Saturation(string page) => Regex.Match(page, "<p id=\"saturation-none\">([^<]*)</p>").Groups[1].Value;

        Assert.StartsWith("Not analysed yet", Saturation(await orchestrator.Http.GetStringAsync($"/runs/{run.Id}")));
        Assert.Contains("No saturation measured yet", await orchestrator.Http.GetStringAsync($"/runs/{run.Id}/saturation.svg"));
        // The API: not yet is a 404 saying so, not the [] of an analysed run with none.
        foreach (var analysis in new[] { "saturation", "cells", "interpretable-cells" })
        {
            Assert.Equal((HttpStatusCode.NotFound, $"run {run.Id}: Not analysed yet: its analysis job waits for a Worker or is running (the Hangfire dashboard shows which)."), await ProblemAsync(orchestrator.Http, $"/api/runs/{run.Id}/{analysis}"));
        }
        Assert.Equal((HttpStatusCode.NotFound, $"sweep {one.SweepId}: The n-gram baseline is not computed yet (a Worker computes it once per sweep)."),
            await ProblemAsync(orchestrator.Http, $"/api/sweeps/{one.SweepId}/ngram"));
        run.AnalyzedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync();
        Assert.Equal("[]", await orchestrator.Http.GetStringAsync($"/api/runs/{run.Id}/saturation"));
        Assert.Equal("[]", await orchestrator.Http.GetStringAsync($"/api/runs/{run.Id}/interpretable-cells"));
        Assert.Equal((HttpStatusCode.NotFound, $"run {run.Id} was analysed without cell activations"), await ProblemAsync(orchestrator.Http, $"/api/runs/{run.Id}/cells"));
        // Analysed, a vanilla RNN has no saturation rows: the page and its chart must not say they are still waiting for them.
        Assert.Contains("no gates", Saturation(await orchestrator.Http.GetStringAsync($"/runs/{run.Id}")));
        var chart = await orchestrator.Http.GetStringAsync($"/runs/{run.Id}/saturation.svg");
        Assert.Contains("A vanilla RNN has no gates", chart);
        Assert.DoesNotContain("measured yet", chart);
    }

    [Fact]
    public async Task RunPage_CancelledRun_SaysItIsNotAnalysed_NotThatItWillBe()
    {
        await using var one = await OneRunAsync("cancelled-run", "gru", 1, 64);
        var (orchestrator, db, run) = (one.Orchestrator, one.Db, one.Run);
        run.Status = RunStatus.Cancelled;
        await db.SaveChangesAsync();
        var page = await orchestrator.Http.GetStringAsync($"/runs/{run.Id}");
        // An analysis kept from before a resume (analyzed_at cleared) is not this run's analysis: the API says so.
        db.GateSaturation.Add(new GateSaturation { RunId = run.Id, Layer = 0, Gate = "update", Unit = 0, LeftFraction = 0.5, RightFraction = 0.25 });
        await db.SaveChangesAsync();
        foreach (var section in new[] { "saturation-none", "cells-none", "units-none", "run-analyses-none" })
        {
            Assert.Equal("Not analysed: the run was cancelled (resuming it trains and then analyses it).", Regex.Match(page, $"<p id=\"{section}\">([^<]*)</p>").Groups[1].Value);
        }
        Assert.Equal((HttpStatusCode.NotFound, $"run {run.Id}: Not analysed: the run was cancelled (resuming it trains and then analyses it)."),
            await ProblemAsync(orchestrator.Http, $"/api/runs/{run.Id}/saturation"));
    }

    [Fact]
    public async Task GivenUpWork_IsSaidWhereItsResultWouldBe_AndNotWaitedFor()
    {
        // No reaper: this test plays it, calling the dispatcher itself.
        await using var one = await OneRunAsync("given-up", "lstm", 1, 64, "--Reaper:Interval=01:00:00");
        var (connection, orchestrator, db, sweepId, run) = (one.Connection, one.Orchestrator, one.Db, one.SweepId, one.Run);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        string Paragraph(string page, string id) => WebUtility.HtmlDecode(Regex.Match(page, $"<p id=\"{id}\"[^>]*>([^<]*)</p>").Groups[1].Value);

        using var scope = orchestrator.App.Services.CreateScope();
        var dispatcher = scope.ServiceProvider.GetRequiredService<WorkDispatcher>();
        var jobs = scope.ServiceProvider.GetRequiredService<IBackgroundJobClient>();
        for (var i = 0; i < WorkDispatcher.MaxDispatches; i++)
        {
            Assert.Equal(2, await dispatcher.DispatchAsync(CancellationToken.None)); // the run's analysis and the sweep's n-gram baseline
            // A job is waiting: the result is still to come.
            Assert.StartsWith("Not analysed yet", Paragraph(await orchestrator.Http.GetStringAsync($"/runs/{run.Id}"), "saturation-none"));
            // Each job ends without its result (deleted, as from the Hangfire dashboard).
            foreach (var w in db.WorkJobs.AsNoTracking().ToList()) Assert.True(jobs.Delete(w.JobId));
        }
        Assert.Equal(0, await dispatcher.DispatchAsync(CancellationToken.None));
        var lastAnalysisJob = db.WorkJobs.AsNoTracking().Single(w => w.Kind == WorkKind.Analysis).JobId;

        var runPage = await orchestrator.Http.GetStringAsync($"/runs/{run.Id}");
        foreach (var section in new[] { "saturation-none", "cells-none", "units-none", "run-analyses-none" })
        {
            var said = Paragraph(runPage, section);
            Assert.Contains($"This run's analysis was given up after {WorkDispatcher.MaxDispatches} jobs", said);
            Assert.Contains($"Hangfire job {lastAnalysisJob}", said);
        }
        Assert.Contains("The n-gram baseline was given up", Paragraph(await orchestrator.Http.GetStringAsync($"/sweeps/{sweepId}"), "ngram-given-up"));
        // The API says the same where it would answer the results.
        var (status, title) = await ProblemAsync(orchestrator.Http, $"/api/runs/{run.Id}/interpretable-cells");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains($"This run's analysis was given up after {WorkDispatcher.MaxDispatches} jobs", title);
        Assert.Contains($"Hangfire job {lastAnalysisJob}", title);
        Assert.Contains("The n-gram baseline was given up", (await ProblemAsync(orchestrator.Http, $"/api/sweeps/{sweepId}/ngram")).Title);
        // Every cell final and the n-gram given up: the live fragment no longer asks to be polled sooner.
        Assert.Contains("data-busy=\"false\"", await orchestrator.Http.GetStringAsync($"/fragments/sweeps/{sweepId}/live"));
        // The CLI's wait for analyses returns instead of waiting ProgressWatcher.AnalysisWait for one that will not come.
        using var soon = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await ProgressWatcher.WaitAsync(orchestrator.App, sweepId, soon.Token);

        // Requeued in the Hangfire dashboard, the last job is live again: the page says "yet" again.
        Assert.True(jobs.Requeue(lastAnalysisJob));
        Assert.StartsWith("Not analysed yet", Paragraph(await orchestrator.Http.GetStringAsync($"/runs/{run.Id}"), "saturation-none"));

        // Resumed (a higher epoch cap), the run is to be analysed anew once trained, with a fresh count of jobs.
        await db.Runs.Where(r => r.Id == run.Id).ExecuteUpdateAsync(u => u.SetProperty(r => r.StopKind, StopKind.MaxEpochs));
        using var life = new RunLife(connection, TimeSpan.FromSeconds(5));
        Assert.Equal([run.Id], await life.ResumeAsync(sweepId, run.Id, run.MaxEpochs + 1, CancellationToken.None));
        Assert.False(db.WorkJobs.Any(w => w.Kind == WorkKind.Analysis && w.SubjectId == run.Id));
        await db.Runs.Where(r => r.Id == run.Id).ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Succeeded)); // trained again
        Assert.Equal(1, await dispatcher.DispatchAsync(CancellationToken.None)); // its analysis; the n-gram stays given up
        Assert.Equal(1, db.WorkJobs.AsNoTracking().Single(w => w.Kind == WorkKind.Analysis && w.SubjectId == run.Id).Dispatches);
        Assert.StartsWith("Not analysed yet", Paragraph(await orchestrator.Http.GetStringAsync($"/runs/{run.Id}"), "saturation-none"));

        // Its result stored (as the analysis job does, in the transaction that writes the analyses), nothing of the
        // count is left: five analyses that each succeeded are not five lost jobs.
        await using (var conn = new NpgsqlConnection(connection))
        {
            await conn.OpenAsync();
            await using var tx = await conn.BeginTransactionAsync();
            Assert.True(await RunLife.MarkAnalysedAsync(conn, tx, run.Id, CancellationToken.None));
            await tx.CommitAsync();
        }
        Assert.False(db.WorkJobs.Any(w => w.Kind == WorkKind.Analysis && w.SubjectId == run.Id));
    }

    [Fact]
    public async Task RunPage_SampleForm_StartsAtTheSamplingRecordsDefaultsAndLimits()
    {
        await using var one = await OneRunAsync("form", "lstm", 1, 64);
        var (orchestrator, run) = (one.Orchestrator, one.Run);
        var page = await orchestrator.Http.GetStringAsync($"/runs/{run.Id}");
        var form = Regex.Match(page, "<form id=\"sample-form\".*?</form>", RegexOptions.Singleline).Value;
        Assert.NotEmpty(form);

        string Attribute(string name, string attribute)
        {
            var input = Regex.Match(form, $"<input name=\"{name}\"[^>]*>").Value;
            Assert.True(input.Length > 0, $"the sample form has no {name} input: {form}");
            var value = Regex.Match(input, $" {attribute}=\"([^\"]*)\"");
            Assert.True(value.Success, $"the {name} input has no {attribute}: {input}");
            return value.Groups[1].Value;
        }

        var defaults = SampleSettings.Default;
        Assert.Equal(defaults.Temperature, double.Parse(Attribute("temperature", "value"), CultureInfo.InvariantCulture));
        Assert.Equal(defaults.Length, int.Parse(Attribute("length", "value"), CultureInfo.InvariantCulture));
        Assert.Equal(defaults.TopK, int.Parse(Attribute("topK", "value"), CultureInfo.InvariantCulture));
        Assert.Equal(defaults.Seed, long.Parse(Attribute("seed", "value"), CultureInfo.InvariantCulture));
        Assert.Equal(defaults.PrimeText, Attribute("primeText", "value"));
        Assert.Equal(SampleSettings.MaxLength, int.Parse(Attribute("length", "max"), CultureInfo.InvariantCulture));
        Assert.Equal(SampleSettings.MaxTopK, int.Parse(Attribute("topK", "max"), CultureInfo.InvariantCulture));
        Assert.Equal(defaults.Count, int.Parse(Attribute("count", "value"), CultureInfo.InvariantCulture));
        Assert.Equal(SampleSettings.MaxCount, int.Parse(Attribute("count", "max"), CultureInfo.InvariantCulture));
        Assert.Equal(SampleSettings.MaxTemperature, double.Parse(Attribute("temperature", "max"), CultureInfo.InvariantCulture));
        Assert.Matches($"<option selected[^>]*>{defaults.Method}</option>", form);
        // The API's defaults answer is the same record, so the form and a client reading it agree.
        var api = JsonDocument.Parse(await orchestrator.Http.GetStringAsync("/api/samples/defaults")).RootElement;
        Assert.Equal(defaults.Length, api.GetProperty("length").GetInt32());
        Assert.Equal(defaults.Temperature, api.GetProperty("temperature").GetDouble());
    }

    /// <returns>The status and the problem's title of an API request answered with a problem.</returns>
    private static async Task<(HttpStatusCode Status, string Title)> ProblemAsync(HttpClient http, string path)
    {
        using var answer = await http.GetAsync(path);
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{path}: {(int)answer.StatusCode} {body}");
        return (answer.StatusCode, JsonDocument.Parse(body).RootElement.GetProperty("title").GetString()!);
    }

    private sealed record OneRun(string Connection, OrchestratorHost Orchestrator, RnnSweepDbContext Db, long SweepId, Run Run) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Db.DisposeAsync();
            await Orchestrator.DisposeAsync();
        }
    }

    /// <summary>An Orchestrator over a new database holding a synthetic sweep of one run, and a context to read and change it.</summary>
    private async Task<OneRun> OneRunAsync(string name, string model, int layers, int hidden, params string[] settings)
    {
        var connection = await postgres.CreateDatabaseAsync();
        var orchestrator = await OrchestratorHost.StartAsync(connection, settings);
        var sweepId = await SyntheticSweep.CreateAsync(connection, name, "generated", [model], [layers], [hidden]);
        var db = orchestrator.Db();
        return new OneRun(connection, orchestrator, db, sweepId, db.Runs.Single(r => r.SweepId == sweepId));
    }
}
