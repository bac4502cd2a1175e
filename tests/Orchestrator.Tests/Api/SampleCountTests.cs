using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RnnSweep.Orchestrator.Tests.Cli;
using RnnSweep.Orchestrator.Tests.Faults;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Api;

/// <summary>
/// A request for several texts (<c>count</c>) is drawn in one pass by a real Worker: text i is the text of seed + i,
/// the same request gives the same texts, and the CLI prints each under its seed.
/// </summary>
[Collection(DatabaseCollection.Name)]
[Trait("Category", "WorkerProcess")]
public sealed class SampleCountTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task SeveralTexts_OneRequest_EachTheTextOfItsSeed()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        await using var worker = WorkerProcess.Start(host.ConnectionString, "w");
        try
        {
            var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("sample count", maxEpochs: 2));
            var run = (await SweepWaiter.UntilFinishedAsync(host.Db, sweep, TimeSpan.FromMinutes(3), () => worker.Output)).Single();
            var url = $"/api/runs/{run.Id}/samples?wait=120";

            var many = await SampleAsync(host, url, new { count = 3, length = 30, seed = 5, method = "multinomial" });
            Assert.Equal(3, many.GetProperty("count").GetInt32());
            var texts = many.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
            Assert.Equal(3, texts.Length);
            Assert.All(texts, t => Assert.Equal(30, t.Length));
            Assert.Equal(texts[0], many.GetProperty("text").GetString());
            Assert.Equal(3, texts.Distinct().Count());                                     // three seeds, three texts

            // Text i is the text of seed 5 + i asked for alone, and the same request draws the same texts again.
            var alone = await SampleAsync(host, url, new { count = 1, length = 30, seed = 6, method = "multinomial" });
            Assert.Equal(texts[1], alone.GetProperty("text").GetString());
            Assert.Equal([texts[1]], alone.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!));
            var again = await SampleAsync(host, url, new { count = 3, length = 30, seed = 5, method = "multinomial" });
            Assert.Equal(texts, again.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!));

            using var tooMany = await host.Http.PostAsJsonAsync(url, new { count = SampleSettings.MaxCount + 1 });
            Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
            Assert.Contains($"must be between 1 and {SampleSettings.MaxCount}, not {SampleSettings.MaxCount + 1}",
                (await tooMany.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("count")[0].GetString(), StringComparison.Ordinal);

            var (exit, stdout, stderr) = await CliRunner.RunAsync(host.ConnectionString, "sample", run.Id.ToString(CultureInfo.InvariantCulture),
                "--count", "3", "--length", "30", "--seed", "5", "--wait", "120");
            Assert.True(exit == 0, stderr);
            Assert.Equal(string.Concat(texts.Select((t, i) => $"--- text {i + 1} of 3 (seed {5 + i}) ---\n{t}\n")), stdout.Replace("\r\n", "\n", StringComparison.Ordinal));
        }
        finally
        {
            worker.WriteTo(output);
        }
    }

    private static async Task<JsonElement> SampleAsync(OrchestratorHost host, string url, object body)
    {
        using var response = await host.Http.PostAsJsonAsync(url, body);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {answer}");
        return answer;
    }
}
