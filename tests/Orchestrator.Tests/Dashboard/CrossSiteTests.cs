using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Npgsql;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Tests.Dashboard;

/// <summary>
/// In Chromium: a page on another origin — another port of this machine (same-site) or another site — tries to
/// cancel a sweep and to delete its Hangfire jobs, by fetch (<c>no-cors</c>) and by form post. Every attempt reaches
/// the server and is refused with 403, and nothing changes. A page reached through a foreign host name (DNS
/// rebinding) is refused with 400. The dashboard's own buttons still work (its token and origin are right).
/// </summary>
/// <remarks>The Host header and write-marker cases share one Orchestrator (<see cref="SharedOrchestrator"/>): each writes at most to a sweep of its own.</remarks>
public sealed class CrossSiteTests(PostgresFixture postgres, SharedOrchestrator shared) : IClassFixture<PostgresFixture>, IClassFixture<SharedOrchestrator>
{
    private const string Rebound = "rebind.example";

    /// <param name="attackerHost">
    /// 127.0.0.1: another user's server on this machine, same-site but another origin; evil.example: another site
    /// (resolved to loopback, as Chromium refuses pages from the public internet to reach loopback at all; the
    /// server must not rely on that, since other browsers and local pages do not).
    /// </param>
    [Theory]
    [Trait("Category", "Browser")]
    [InlineData("127.0.0.1")]
    [InlineData("evil.example")]
    public async Task PageOnAnotherOrigin_CannotCancelASweep_NorDeleteAHangfireJob(string attackerHost)
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var sweep = await Faults.FaultSweep.SubmitAsync(orchestrator, Faults.FaultSweep.Spec("cross-site", ["lstm", "gru"])); // no Worker: cells stay queued
        var jobs = await JobIdsAsync(orchestrator, sweep);
        Assert.Equal(2, jobs.Count);
        var before = await StateAsync(connection, sweep);
        Assert.All(before, s => Assert.Equal((RunStatus.Queued, "Enqueued"), s));

        var target = orchestrator.Address;
        var cancel = $"{target}/api/sweeps/{sweep}/cancel";
        var delete = $"{target}/hangfire/jobs/enqueued/delete";
        var html = $$"""
            <!doctype html><html><body>
            <form id="cancel" method="post" action="{{cancel}}"></form>
            <form id="delete" method="post" action="{{delete}}">{{string.Concat(jobs.Select(j => $"<input name=\"jobs[]\" value=\"{j}\">"))}}</form>
            <script>
              window.attack = () => Promise.all([
                fetch('{{cancel}}', { method: 'POST', mode: 'no-cors' }),
                fetch('{{delete}}', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                                      body: '{{string.Join("&", jobs.Select(j => $"jobs[]={j}"))}}' }),
              ]).then(() => 'sent');
            </script></body></html>
            """;

        await using var attackerSite = await AttackerSiteAsync(html);
        var attacker = $"http://{attackerHost}:{new Uri(RnnSweep.Orchestrator.LocalCluster.LocalServer.Address(attackerSite)).Port}/attack.html";
        TestCategories.RequireOutsideFastRun(TestCategories.Browser, "a browser");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = DashboardBrowserTests.Chromium, Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--host-resolver-rules=MAP evil.example 127.0.0.1"],
        });
        var page = await browser.NewPageAsync();
        var statuses = new List<(string Url, int Status)>();
        page.Response += (_, r) => { if (r.Url.StartsWith(target, StringComparison.Ordinal)) lock (statuses) statuses.Add((r.Url, r.Status)); };

        // 1. fetch with no-cors: the page cannot read the answer, but the server must not act on it.
        await page.GotoAsync(attacker);
        Assert.Equal("sent", await page.EvaluateAsync<string>("() => window.attack()"));
        // 2. form posts: top-level navigations, which carry no token.
        foreach (var form in new[] { "cancel", "delete" })
        {
            var formPage = await browser.NewPageAsync(); // a page of its own: the post navigates it away
            formPage.Response += (_, r) => { if (r.Url.StartsWith(target, StringComparison.Ordinal)) lock (statuses) statuses.Add((r.Url, r.Status)); };
            await formPage.GotoAsync(attacker);
            var url = form == "cancel" ? cancel : delete;
            var answer = await formPage.RunAndWaitForResponseAsync(() => formPage.EvaluateAsync($"document.getElementById('{form}').submit()"), r => r.Url == url);
            Assert.Equal(403, answer.Status);
            // The answer is what counts; waiting for the refused page's load event as well timed out once at 30 s on a
            // loaded machine after the 403 had arrived. Closed instead: nothing of the page is read after its answer.
            await formPage.CloseAsync();
        }

        lock (statuses)
        {
            Assert.Equal(4, statuses.Count(s => s.Url == cancel || s.Url == delete)); // each attempt reached the server ...
            Assert.All(statuses.Where(s => s.Url == cancel || s.Url == delete), s => Assert.Equal(403, s.Status)); // ... and was refused
        }
        Assert.Equal(before, await StateAsync(connection, sweep)); // nothing changed: cells queued, jobs enqueued

        // The dashboard's own page may still cancel (same origin, its antiforgery token): the refusal is not blanket.
        var own = await browser.NewPageAsync();
        await own.GotoAsync($"{target}/sweeps/{sweep}");
        await own.ClickAsync("#cancel");
        await Assertions.Expect(own.Locator("#action-result")).ToHaveTextAsync("2 cells cancelled");
    }

    [Fact]
    [Trait("Category", "Browser")]
    public async Task PageReachedThroughAForeignHostName_IsRefused_AndCannotWrite()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var sweep = await Faults.FaultSweep.SubmitAsync(orchestrator, Faults.FaultSweep.Spec("rebinding", ["lstm"]));
        var before = await StateAsync(connection, sweep);
        var port = new Uri(orchestrator.Address).Port;

        TestCategories.RequireOutsideFastRun(TestCategories.Browser, "a browser");
        using var playwright = await Playwright.CreateAsync();
        // DNS rebinding, simulated: the attacker's name now resolves to this machine's loopback address.
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = DashboardBrowserTests.Chromium, Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", $"--host-resolver-rules=MAP {Rebound} 127.0.0.1"],
        });
        var page = await browser.NewPageAsync();
        var response = await page.GotoAsync($"http://{Rebound}:{port}/api/sweeps");
        Assert.Equal(400, response!.Status);
        // Same origin from the page's point of view, so the browser lets it read and post; the server does not.
        var status = await page.EvaluateAsync<int>($"() => fetch('/api/sweeps/{sweep}/cancel', {{ method: 'POST' }}).then(r => r.status)");
        Assert.Equal(400, status);
        Assert.Equal(before, await StateAsync(connection, sweep));
    }

    [Theory]
    [InlineData("rebind.example", "/api/sweeps", HttpStatusCode.BadRequest)]
    [InlineData("192.168.1.20:5080", "/", HttpStatusCode.BadRequest)]
    [InlineData("localhost", "/api/sweeps", HttpStatusCode.OK)]
    [InlineData("127.0.0.1", "/", HttpStatusCode.OK)]
    [InlineData("[::1]:5080", "/api/sweeps", HttpStatusCode.OK)]
    [InlineData("rebind.example", "/healthz", HttpStatusCode.BadRequest)] // probes too: Kubernetes' send Host: localhost
    public async Task HostHeader_IsCheckedAgainstAllowedHosts(string host, string path, HttpStatusCode expected)
    {
        var orchestrator = shared.Host;
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        using var response = await orchestrator.Http.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task AllowedHosts_IsConfigurable()
    {
        await using var orchestrator = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--AllowedHosts=rnnsweep.lab.example");
        using var named = new HttpRequestMessage(HttpMethod.Get, "/api/sweeps") { Headers = { Host = "rnnsweep.lab.example" } };
        Assert.Equal(HttpStatusCode.OK, (await orchestrator.Http.SendAsync(named)).StatusCode);
        using var loopback = new HttpRequestMessage(HttpMethod.Get, "/api/sweeps") { Headers = { Host = "localhost" } };
        Assert.Equal(HttpStatusCode.BadRequest, (await orchestrator.Http.SendAsync(loopback)).StatusCode);
    }

    /// <summary>Writes from scripts (no Origin, no Sec-Fetch-Site) pass; with a browser's markers they need the origin and a token.</summary>
    [Theory]
    [InlineData(null, null, HttpStatusCode.OK)]
    [InlineData("same-origin", null, HttpStatusCode.Forbidden)] // the dashboard's origin, but no antiforgery token
    [InlineData("same-site", null, HttpStatusCode.Forbidden)]
    [InlineData("cross-site", null, HttpStatusCode.Forbidden)]
    [InlineData(null, "http://evil.example", HttpStatusCode.Forbidden)]
    [InlineData(null, "null", HttpStatusCode.Forbidden)]
    [InlineData(null, "http://127.0.0.1:1", HttpStatusCode.Forbidden)]
    public async Task Writes_FromBrowsers_NeedTheOwnOriginAndAToken(string? fetchSite, string? origin, HttpStatusCode expected)
    {
        var orchestrator = shared.Host;
        var connection = orchestrator.ConnectionString;
        // A sweep of this case's own: the same spec again would be the sweep an earlier case cancelled.
        var sweep = await Faults.FaultSweep.SubmitAsync(orchestrator, Faults.FaultSweep.Spec($"markers {Guid.NewGuid():N}", ["lstm"]));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sweeps/{sweep}/cancel");
        if (fetchSite is not null) request.Headers.Add("Sec-Fetch-Site", fetchSite);
        if (origin is not null) request.Headers.Add("Origin", origin);
        using var response = await orchestrator.Http.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        var cancelled = (await StateAsync(connection, sweep)).All(s => s.Status == RunStatus.Cancelled);
        Assert.Equal(expected == HttpStatusCode.OK, cancelled);
        if (expected == HttpStatusCode.Forbidden)
        {
            Assert.Contains("\"errors\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    /// <summary>The attacker's page, served by a server of its own on another loopback port.</summary>
    private static async Task<WebApplication> AttackerSiteAsync(string html)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/attack.html", () => Results.Content(html, "text/html"));
        await app.StartAsync();
        return app;
    }

    private static async Task<List<string>> JobIdsAsync(OrchestratorHost host, long sweep)
    {
        await using var db = host.Db();
        return await db.Runs.Where(r => r.SweepId == sweep).OrderBy(r => r.Id).Select(r => r.JobId!).ToListAsync();
    }

    /// <summary>Each run's status and its Hangfire job's state.</summary>
    private static async Task<List<(string Status, string? JobState)>> StateAsync(string connectionString, long sweep)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "select r.status, j.statename from runs r left join hangfire.job j on j.id::text = r.job_id where r.sweep_id = @sweep order by r.id", conn);
        cmd.Parameters.AddWithValue("sweep", sweep);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(string, string?)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        return rows;
    }
}
