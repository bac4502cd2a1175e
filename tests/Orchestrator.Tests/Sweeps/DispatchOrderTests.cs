using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Orchestrator.Tests.Support;

namespace RnnSweep.Orchestrator.Tests.Sweeps;

/// <summary>
/// Longest first, as a Worker sees it: the jobs a sweep's submission and a later reaper pass enqueue are fetched
/// through Hangfire.PostgreSql's own fetch (the query every Worker runs) and must come out in descending estimated
/// cost, also when several dispatchers run at once. No Worker process: the test takes the jobs itself.
/// </summary>
public sealed class DispatchOrderTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private const string Queue = "order";

    private static object Spec(string name) => new
    {
        name,
        corpus = "order-text",
        corpusText = GeneratedText.Sentences(8_000),
        // 12 cells whose costs differ by model, depth and width, written smallest first so that creation order is not the answer.
        models = new[] { "rnn", "gru", "lstm" },
        layers = new[] { 1, 2 },
        hiddenSizes = new[] { 8, 32 },
        queue = Queue,
        hyperparameters = new { maxEpochs = 2 },
    };

    [Fact]
    public async Task JobsAreFetchedLongestFirst_AfterSubmitAndAfterTheReaperDispatchesAgain()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--Reaper:Interval=01:00:00");
        using var response = await host.Http.PostAsJsonAsync("/api/sweeps", Spec("order"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var sweepId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        var costs = await CostsByJobAsync(host, sweepId);
        Assert.Equal(12, costs.Count);
        Assert.True(costs.Values.Distinct().Count() > 6, "the grid's cells should differ in cost");
        Assert.Equal(costs.Values.OrderDescending(), FetchRuns(host, costs));

        // The reaper's path: every run's job lost (deleted), then four dispatchers at once (the reaper's pass, a submission,
        // a resume, another Orchestrator): one of them gives each run a new job, again longest first, and none creates
        // a job for a run another one took, which a Worker could fetch before it was deleted.
        var client = host.Service<IBackgroundJobClient>();
        foreach (var job in costs.Keys) client.Delete(job);
        var dispatched = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var scope = host.App.Services.CreateAsyncScope();
            return (await scope.ServiceProvider.GetRequiredService<RunDispatcher>().DispatchAsync(null, CancellationToken.None)).Count;
        }));
        Assert.Equal(12, dispatched.Sum());
        Assert.Equal(12, await DeletedJobsAsync(host)); // only the 12 deleted above: no dispatcher made and deleted a duplicate
        var again = await CostsByJobAsync(host, sweepId);
        Assert.Empty(again.Keys.Intersect(costs.Keys));
        Assert.Equal(again.Values.OrderDescending(), FetchRuns(host, again));
    }

    private static async Task<long> DeletedJobsAsync(OrchestratorHost host)
    {
        await using var conn = new NpgsqlConnection(host.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"select count(*) from {RnnSweep.Shared.Database.DatabaseSettings.HangfireSchema}.job where statename = 'Deleted'", conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Takes jobs off the queue as a Worker does until every run job in <paramref name="costs"/> was handed out; returns
    /// their costs in that order. Other jobs on the queue (the sweep's n-gram baseline) are taken and left out.
    /// </summary>
    private static List<double> FetchRuns(OrchestratorHost host, Dictionary<string, double> costs)
    {
        using var connection = host.Service<JobStorage>().GetConnection();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1)); // an empty queue blocks: fail instead
        var fetched = new List<double>();
        while (fetched.Count < costs.Count)
        {
            using var job = connection.FetchNextJob([Queue], timeout.Token);
            job.RemoveFromQueue();
            if (costs.TryGetValue(job.JobId, out var cost)) fetched.Add(cost);
        }
        return fetched;
    }

    private static async Task<Dictionary<string, double>> CostsByJobAsync(OrchestratorHost host, long sweepId)
    {
        await using var conn = new NpgsqlConnection(host.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select job_id, estimated_cost from runs where sweep_id = $1", conn);
        cmd.Parameters.AddWithValue(sweepId);
        var costs = new Dictionary<string, double>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) costs.Add(reader.GetString(0), reader.GetDouble(1));
        return costs;
    }
}
