using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Orchestrator.Tests.Cli;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Tests.Sweeps;

/// <summary>
/// Seeds and extra axes: the runs a grid creates, its identity, and the <c>best</c> and <c>mean ± sd</c> tables, with
/// losses written by hand into the runs (no training) and the tables computed here from those rows.
/// </summary>
public sealed class SweepAxesTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static JsonObject Spec(string name, string axesJson, long[] seeds) => new()
    {
        ["name"] = name,
        ["corpus"] = "axes-text",
        ["corpusText"] = GeneratedText.Sentences(6_000),
        ["models"] = new JsonArray("lstm", "gru"),
        ["layers"] = new JsonArray(1),
        ["hiddenSizes"] = new JsonArray(8),
        ["seeds"] = new JsonArray([.. seeds.Select(s => (JsonNode)s)]),
        ["axes"] = JsonNode.Parse(axesJson),
        ["hyperparameters"] = new JsonObject { ["maxEpochs"] = 2, ["seqLength"] = 16, ["batchSize"] = 8 },
        ["queue"] = "nobody-listens",
    };

    private sealed record Row(long Id, string Model, long Seed, double Dropout, string Status, double? Val, double? Test);

    [Fact]
    public async Task SeedsAndDropoutAxis_CreateEachRunOnce_AndBestAndMeanTablesMatchHandComputation_InSqlApiAndCli()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var spec = Spec("axes", """{"dropout": [0, 0.5]}""", [1, 2, 3]);

        var first = await orchestrator.Http.PostAsJsonAsync("/api/sweeps", spec);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var created = await first.Content.ReadFromJsonAsync<JsonElement>();
        var sweepId = created.GetProperty("id").GetInt64();
        Assert.Equal(12, created.GetProperty("runs").GetInt32()); // 2 cells x 3 seeds x 2 dropouts
        var again = await orchestrator.Http.PostAsJsonAsync("/api/sweeps", spec);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(sweepId, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());

        // Each combination once, and each run trains with its own seed and dropout.
        await using (var db = orchestrator.Db())
        {
            var runs = await db.Runs.Where(r => r.SweepId == sweepId).ToListAsync();
            Assert.Equal(12, runs.Count);
            var combos = runs.Select(r =>
            {
                var hp = JsonSerializer.Deserialize<Hyperparameters>(r.Hyperparameters, SpecResolver.Json)!;
                Assert.Equal(r.Seed, hp.Seed);
                Assert.Equal(JsonSerializer.Serialize(new { dropout = hp.Dropout }).Replace(":", ": "), r.Axes);
                Assert.True(r.EstimatedCost > 0);
                return $"{r.Model} {r.Seed} {hp.Dropout.ToString(CultureInfo.InvariantCulture)}";
            }).Order().ToList();
            var expected = (from m in new[] { "gru", "lstm" } from s in new[] { 1, 2, 3 } from d in new[] { "0", "0.5" } select $"{m} {s} {d}").Order().ToList();
            Assert.Equal(expected, combos);
        }

        // Losses by hand: distinct values, dropout helps the LSTM and hurts the GRU, one GRU run failed.
        await using var sql = new NpgsqlConnection(connection);
        await sql.OpenAsync();
        await using (var set = new NpgsqlCommand("""
            update runs set status = case when model = 'gru' and seed = 3 and (axes->>'dropout')::float8 = 0 then $2 else $3 end,
                            val_loss = 1.5 + 0.013 * seed * seed + case when model = 'lstm' then -0.2 else 0.3 end * (axes->>'dropout')::float8 + 0.001 * id,
                            train_loss = 1.2 + 0.01 * seed,
                            test_loss = 1.6 + 0.021 * seed + case when model = 'lstm' then -0.25 else 0.2 end * (axes->>'dropout')::float8
            where sweep_id = $1
            """, sql))
        {
            set.Parameters.AddWithValue(sweepId);
            set.Parameters.AddWithValue(RunStatus.Failed);
            set.Parameters.AddWithValue(RunStatus.Succeeded);
            await set.ExecuteNonQueryAsync();
        }
        await using (var fail = new NpgsqlCommand("update runs set val_loss = null, test_loss = null, train_loss = null where sweep_id = $1 and status = $2", sql))
        {
            fail.Parameters.AddWithValue(sweepId);
            fail.Parameters.AddWithValue(RunStatus.Failed);
            await fail.ExecuteNonQueryAsync();
        }
        var rows = new List<Row>();
        await using (var read = new NpgsqlCommand("select id, model, seed, (axes->>'dropout')::float8, status, val_loss, test_loss from runs where sweep_id = $1", sql))
        {
            read.Parameters.AddWithValue(sweepId);
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(new Row(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetDouble(3), reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetDouble(5), reader.IsDBNull(6) ? null : reader.GetDouble(6)));
            }
        }

        // By hand: best = the succeeded run with the lowest validation loss; mean = over the seeds of the dropout whose
        // mean validation loss is lowest, with the sample standard deviation.
        var best = rows.Where(r => r.Status == RunStatus.Succeeded).GroupBy(r => r.Model).ToDictionary(g => g.Key, g => g.MinBy(r => r.Val)!);
        var mean = rows.Where(r => r.Status == RunStatus.Succeeded).GroupBy(r => r.Model).ToDictionary(g => g.Key, g => g.GroupBy(r => r.Dropout)
            .Select(d => (Dropout: d.Key, N: d.Count(), Val: d.Average(r => r.Val!.Value), Test: d.Average(r => r.Test!.Value), Sd: Sd(d.Select(r => r.Test!.Value).ToList())))
            .MinBy(d => d.Val));
        Assert.Equal(0.5, best["lstm"].Dropout);
        Assert.Equal(0, best["gru"].Dropout);
        Assert.Equal((0.0, 2), (mean["gru"].Dropout, mean["gru"].N)); // the failed seed is not averaged
        Assert.Equal((0.5, 3), (mean["lstm"].Dropout, mean["lstm"].N));

        // SQL: the views beside loss_table.
        foreach (var model in new[] { "lstm", "gru" })
        {
            await using var b = new NpgsqlCommand("select run_id, test_loss, seed, (axes->>'dropout')::float8 from loss_table_best where sweep_id = $1 and model = $2", sql);
            b.Parameters.AddWithValue(sweepId);
            b.Parameters.AddWithValue(model);
            await using (var reader = await b.ExecuteReaderAsync())
            {
                Assert.True(await reader.ReadAsync());
                Assert.Equal((best[model].Id, best[model].Test, best[model].Seed, best[model].Dropout), (reader.GetInt64(0), (double?)reader.GetDouble(1), reader.GetInt64(2), reader.GetDouble(3)));
            }
            await using var m = new NpgsqlCommand("select test_loss_mean, test_loss_sd, n, (axes->>'dropout')::float8 from loss_table_mean where sweep_id = $1 and model = $2 and chosen", sql);
            m.Parameters.AddWithValue(sweepId);
            m.Parameters.AddWithValue(model);
            await using (var reader = await m.ExecuteReaderAsync())
            {
                Assert.True(await reader.ReadAsync());
                Assert.Equal(mean[model].Test, reader.GetDouble(0), 12);
                Assert.Equal(mean[model].Sd, reader.GetDouble(1), 12);
                Assert.Equal((mean[model].N, mean[model].Dropout), ((int)reader.GetInt64(2), reader.GetDouble(3)));
            }
        }

        // The API: the same cells.
        var bestTable = await orchestrator.Http.GetFromJsonAsync<JsonElement>($"/api/sweeps/{sweepId}/loss-table?view=best");
        var meanTable = await orchestrator.Http.GetFromJsonAsync<JsonElement>($"/api/sweeps/{sweepId}/loss-table?view=mean");
        var columns = bestTable.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("model").GetString()!).ToList();
        for (var i = 0; i < columns.Count; i++)
        {
            var b = bestTable.GetProperty("rows")[0].GetProperty("cells")[i];
            Assert.Equal(best[columns[i]].Id, b.GetProperty("runId").GetInt64());
            Assert.Equal(best[columns[i]].Test, b.GetProperty("testLoss").GetDouble());
            Assert.Equal(best[columns[i]].Dropout, b.GetProperty("chosen").GetProperty("dropout").GetDouble());
            Assert.Equal(best[columns[i]].Seed, b.GetProperty("chosen").GetProperty("seed").GetInt64());
            var m = meanTable.GetProperty("rows")[0].GetProperty("cells")[i];
            Assert.Equal(mean[columns[i]].Test, m.GetProperty("testLoss").GetDouble(), 12);
            Assert.Equal(mean[columns[i]].Sd, m.GetProperty("testSd").GetDouble(), 12);
            Assert.Equal(mean[columns[i]].N, m.GetProperty("n").GetInt32());
            Assert.Equal(mean[columns[i]].Dropout, m.GetProperty("chosen").GetProperty("dropout").GetDouble());
        }
        var badView = await orchestrator.Http.GetAsync($"/api/sweeps/{sweepId}/loss-table?view=median");
        Assert.Equal(HttpStatusCode.BadRequest, badView.StatusCode);
        Assert.Contains("view", await badView.Content.ReadAsStringAsync());

        // The CLI: the same numbers as printed, and the values chosen.
        var (exit, stdout, stderr) = await CliRunner.RunAsync(connection, "table", sweepId.ToString(CultureInfo.InvariantCulture), "--view", LossTableViews.Best);
        Assert.True(exit == 0, stderr);
        foreach (var model in columns)
        {
            Assert.Contains(F(best[model].Test!.Value), stdout);
            Assert.Contains($"dropout {best[model].Dropout.ToString(CultureInfo.InvariantCulture)}, seed {best[model].Seed}", stdout);
        }
        (exit, stdout, stderr) = await CliRunner.RunAsync(connection, "table", sweepId.ToString(CultureInfo.InvariantCulture), "--view", LossTableViews.Mean);
        Assert.True(exit == 0, stderr);
        foreach (var model in columns) Assert.Contains($"{F(mean[model].Test)} ± {F(mean[model].Sd)} (n={mean[model].N})", stdout);
        (exit, stdout, _) = await CliRunner.RunAsync(connection, "table", sweepId.ToString(CultureInfo.InvariantCulture), "--view", LossTableViews.Slice, "--slice", "dropout=0.5,seed=2");
        Assert.Equal(0, exit);
        foreach (var model in columns) Assert.Contains(F(rows.Single(r => r.Model == model && r.Seed == 2 && r.Dropout == 0.5).Test!.Value), stdout);
        (exit, _, stderr) = await CliRunner.RunAsync(connection, "table", sweepId.ToString(CultureInfo.InvariantCulture), "--view", LossTableViews.Slice, "--slice", "dropout=0.3");
        Assert.Equal(2, exit);
        Assert.Contains("slice", stderr);
    }

    [Fact]
    public async Task AMaxEpochsAxis_CapsEachRun_AndPrecisionIsAnAxisAndAHyperparameter()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var spec = Spec("caps", """{"maxEpochs": [1, 3], "precision": ["float32", "bfloat16"]}""", [1]);
        spec["hyperparameters"]!.AsObject().Remove("maxEpochs");

        var response = await orchestrator.Http.PostAsJsonAsync("/api/sweeps", spec);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var sweepId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await using (var db = orchestrator.Db())
        {
            var runs = await db.Runs.Where(r => r.SweepId == sweepId).ToListAsync();
            Assert.Equal(8, runs.Count);                                                 // 2 cells x 2 caps x 2 precisions
            Assert.All(runs, r => Assert.Equal(JsonSerializer.Deserialize<Hyperparameters>(r.Hyperparameters, SpecResolver.Json)!.MaxEpochs, r.MaxEpochs));
            Assert.Equal([1, 1, 1, 1, 3, 3, 3, 3], runs.Select(r => r.MaxEpochs).Order());
        }

        var single = Spec("bfloat16", "{}", [1]);
        single.Remove("axes");
        single["hyperparameters"]!["precision"] = "bfloat16";
        var created = await orchestrator.Http.PostAsJsonAsync("/api/sweeps", single);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Fact]
    public async Task Resubmission_WithAxesSeedsAndValuesInAnotherOrder_ReturnsTheExistingSweep()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        var first = await orchestrator.Http.PostAsJsonAsync("/api/sweeps", Spec("order", """{"dropout": [0, 0.25], "learningRate": [0.01, 0.002]}""", [7, 3]));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var body = await first.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(16, body.GetProperty("runs").GetInt32());

        var reordered = await orchestrator.Http.PostAsJsonAsync("/api/sweeps", Spec("order", """{"learningRate": [0.002, 0.01], "dropout": [0.25, 0.0]}""", [3, 7]));
        Assert.Equal(HttpStatusCode.OK, reordered.StatusCode);
        var again = await reordered.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(body.GetProperty("id").GetInt64(), again.GetProperty("id").GetInt64());
        Assert.False(again.GetProperty("created").GetBoolean());

        // A different value is a different sweep.
        var other = await orchestrator.Http.PostAsJsonAsync("/api/sweeps", Spec("order", """{"learningRate": [0.002, 0.01], "dropout": [0.5, 0]}""", [3, 7]));
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        await using var db = orchestrator.Db();
        Assert.Equal(32, await db.Runs.CountAsync());
    }

    [Theory]
    [InlineData("""{"dropout": [0, 1.5]}""", false, "axes.dropout[1]")]
    [InlineData("""{"dropot": [0]}""", false, "axes.dropot")]
    [InlineData("""{"seed": [1, 2]}""", false, "axes.seed")]
    [InlineData("""{"dropout": []}""", false, "axes.dropout")]
    [InlineData("""{"optimizer": ["adam", 3]}""", false, "axes.optimizer[1]")]
    [InlineData("""{"trainFraction": [0.8, 0.9]}""", false, "axes")]  // 0.8 + 0.05 + 0.05 is not 1: a combination error
    [InlineData("""{"dropout": [0, 0.5]}""", true, "axes")]          // 3 x 8 x 64 cells x 64 seeds x 2 = 196,608 runs
    public void Resolve_RejectsBadAxes_ByName(string axes, bool huge, string field)
    {
        var spec = new SweepSpec
        {
            Corpus = "c", Models = ["lstm", "gru", "rnn"], Layers = huge ? [1, 2, 3, 4, 5, 6, 7, 8] : [1], HiddenSizes = huge ? [.. Enumerable.Range(1, 64)] : [8],
            Axes = JsonNode.Parse(axes)!.AsObject(),
            Seeds = huge ? [.. Enumerable.Range(0, 64).Select(i => (long)i)] : null,
        };
        var e = Assert.Throws<ValidationException>(() => SpecResolver.Resolve(spec));
        Assert.Contains(e.Errors, f => f.Field == field);
    }

    /// <summary>A value of the wrong type is said in words ("must be a number"), not in a cut-off .NET message.</summary>
    [Fact]
    public void Resolve_AValueOfTheWrongType_IsSaidInWords()
    {
        var spec = new SweepSpec { Corpus = "c", Models = ["lstm"], Layers = [1], HiddenSizes = [8], Axes = JsonNode.Parse("""{"dropout": [0, "abc"]}""")!.AsObject() };
        var e = Assert.Throws<ValidationException>(() => SpecResolver.Resolve(spec));
        Assert.Equal("has the wrong type for dropout: it must be a number", Assert.Single(e.Errors, f => f.Field == "axes.dropout[1]").Message);
        spec = spec with { Axes = null, Hyperparameters = JsonNode.Parse("""{"dropout": "abc"}""")!.AsObject() };
        e = Assert.Throws<ValidationException>(() => SpecResolver.Resolve(spec));
        Assert.Equal("has the wrong type: it must be a number", Assert.Single(e.Errors, f => f.Field == "hyperparameters.dropout").Message);
    }

    private static double Sd(List<double> values)
    {
        var m = values.Average();
        return Math.Sqrt(values.Sum(v => (v - m) * (v - m)) / (values.Count - 1));
    }

    private static string F(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);
}
