using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace RnnSweep.Orchestrator.Tests.Support;

/// <summary>
/// A sweep of one small LSTM cell over several seeds, on a queue of its own, for a Worker whose epochs wait their
/// estimated cost (<c>Worker:SimulatedSecondsPerCost</c>) instead of training, so the time a run takes is the test's
/// choice, not the machine's.
/// </summary>
public static class SimulatedSweep
{
    /// <returns>The sweep's id, and the <c>Worker:SimulatedSecondsPerCost</c> that makes its costliest epoch last <paramref name="epochSeconds"/>.</returns>
    public static async Task<(long SweepId, string SecondsPerCost)> SubmitAsync(OrchestratorHost host, string name, string queue, int seeds, int epochs, double epochSeconds)
    {
        var spec = new JsonObject
        {
            ["name"] = name, ["corpus"] = $"{name}-text", ["corpusText"] = GeneratedText.Sentences(6_000),
            ["models"] = new JsonArray("lstm"), ["layers"] = new JsonArray(1), ["hiddenSizes"] = new JsonArray(16),
            ["seeds"] = new JsonArray([.. Enumerable.Range(1, seeds).Select(s => (JsonNode)s)]), ["queue"] = queue,
            ["hyperparameters"] = new JsonObject { ["maxEpochs"] = epochs, ["patience"] = epochs, ["seqLength"] = 16, ["batchSize"] = 8 },
        };
        var response = await host.Http.PostAsJsonAsync("/api/sweeps", spec);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var sweepId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await using var sql = new NpgsqlConnection(host.ConnectionString);
        await sql.OpenAsync();
        await using var cmd = new NpgsqlCommand("select max(estimated_cost) / $2 from runs where sweep_id = $1", sql);
        cmd.Parameters.AddWithValue(sweepId);
        cmd.Parameters.AddWithValue((double)epochs);
        var largestEpochCost = (double)(await cmd.ExecuteScalarAsync())!;
        return (sweepId, (epochSeconds / largestEpochCost).ToString("R", CultureInfo.InvariantCulture));
    }
}
