using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;
using RnnSweep.Worker.Training;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.EndToEnd;

/// <summary>A grid submitted over HTTP, trained by a real Worker process through Hangfire on a real PostgreSQL.</summary>
[Trait("Category", "WorkerProcess")]
[Collection(DatabaseCollection.Name)]
public sealed class SweepEndToEndTests(PostgresFixture postgres, ITestOutputHelper output)
{
    public static object SmallSweep(string name, string text) => new
    {
        name,
        corpus = "generated",
        corpusText = text,
        models = new[] { "lstm", "gru" },
        layers = new[] { 1 },
        hiddenSizes = new[] { 8, 16 },
        hyperparameters = new { maxEpochs = 3, patience = 3, seqLength = 16, batchSize = 8, learningRate = 0.01, seed = 7 },
    };

    [Fact]
    public async Task Sweep_SucceedsEveryCellWithMetricsCheckpointsAndLossTable_WhenSubmittedOverHttp()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        await using var worker = WorkerProcess.Start(connection, "e2e-worker");
        var text = GeneratedText.Sentences(12_000);

        var response = await orchestrator.Http.PostAsJsonAsync("/api/sweeps", SmallSweep("e2e", text));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var sweepId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        List<Run> runs;
        try
        {
            runs = await SweepWaiter.UntilFinishedAsync(orchestrator.Db, sweepId, TimeSpan.FromMinutes(4), () => worker.Output, analyzed: true);
        }
        finally
        {
            worker.WriteTo(output);
        }

        Assert.Equal(4, runs.Count);
        Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        var vocabulary = Vocabulary.Build(System.Text.Encoding.UTF8.GetBytes(text), "chars");
        await using var db = orchestrator.Db();
        foreach (var run in runs)
        {
            // One metrics row per epoch, numbered 1..n.
            var epochs = await db.EpochMetrics.Where(m => m.RunId == run.Id).OrderBy(m => m.Epoch).Select(m => m.Epoch).ToListAsync();
            Assert.Equal(Enumerable.Range(1, run.EpochsDone), epochs);
            Assert.Equal(3, run.EpochsDone);

            // Both checkpoints exist, and the best one reloads to the stored validation loss.
            var checkpoints = await db.Checkpoints.Where(c => c.RunId == run.Id).ToListAsync();
            Assert.Equal([CheckpointKind.Best, CheckpointKind.Latest], checkpoints.Select(c => c.Kind).Order());
            var best = checkpoints.Single(c => c.Kind == CheckpointKind.Best);
            // Only the latest is resumed from, so only it carries the optimizer state.
            Assert.Empty(best.OptimizerState);
            Assert.NotEmpty(checkpoints.Single(c => c.Kind == CheckpointKind.Latest).OptimizerState);
            var bestMetric = await db.EpochMetrics.SingleAsync(m => m.RunId == run.Id && m.Epoch == best.Epoch);
            var hp = JsonSerializer.Deserialize<Hyperparameters>(run.Hyperparameters, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
            var splits = CorpusSplits.From(vocabulary.Encode(System.Text.Encoding.UTF8.GetBytes(text)), vocabulary.Size, hp);
            var cell = new CellSpec(ModelTypeNames.Parse(run.Model), run.Layers, run.Hidden, hp);
            var reloaded = Evaluator.Loss(cell, vocabulary.Size,
                new CheckpointData(best.Epoch, best.ValLoss, best.ModelState, best.OptimizerState, best.TrainerState), splits.Validation, TorchSharp.torch.CPU);
            Assert.Equal(bestMetric.ValLoss, reloaded, 4);
            Assert.Equal(run.ValLoss!.Value, reloaded, 4);
        }

        // The analyses of every run: saturation points of every sigmoid gate unit, the cell excerpt, samples.
        foreach (var run in runs)
        {
            var gates = run.Model == "lstm" ? new[] { "forget", "input", "output" } : ["reset", "update"];
            var saturation = await db.GateSaturation.Where(s => s.RunId == run.Id).ToListAsync();
            Assert.Equal(gates.Length * run.Hidden * run.Layers, saturation.Count);
            Assert.Equal(gates, saturation.Select(s => s.Gate).Distinct().Order());
            Assert.All(saturation, s => Assert.InRange(s.LeftFraction + s.RightFraction, 0, 1));
            var cells = await db.CellActivations.SingleAsync(c => c.RunId == run.Id);
            Assert.Equal(cells.Layers * cells.Steps * cells.Hidden, cells.Values.Length);
            Assert.Equal((run.Layers, run.Hidden), (cells.Layers, cells.Hidden));
            Assert.Equal(cells.Steps, cells.Text.Length);
            var samples = await db.Samples.Where(s => s.RunId == run.Id).ToListAsync();
            Assert.Equal(3, samples.Count);
            Assert.All(samples, s => Assert.Equal(s.Length, s.Text!.Length));
            Assert.All(samples.SelectMany(s => s.Text!), c => Assert.Contains(c, text));
            // Every feature present in the text has a threshold; listed units exceed theirs (tiny models may list none).
            var thresholds = await db.InterpretableThresholds.Where(t => t.RunId == run.Id).ToListAsync();
            Assert.NotEmpty(thresholds);
            Assert.All(thresholds, t => Assert.True(t.Characters > 0 && t.Threshold >= t.ShiftThreshold && t.Threshold > 0));
            Assert.All(await db.InterpretableCells.Where(c => c.RunId == run.Id).ToListAsync(), c => Assert.True(Math.Abs(c.Correlation) > c.Threshold));
        }
        var ngram = await db.NGramBaselines.Where(n => n.SweepId == sweepId).OrderBy(n => n.Order).ToListAsync();
        Assert.Equal(Enumerable.Range(1, ngram.Count), ngram.Select(n => n.Order));
        Assert.True(ngram.Count >= 5, $"only {ngram.Count} n-gram orders");
        // Section 4.3's oracles, position by position beside the n-gram's predictions, and every run's errors broken down.
        var oracles = await db.TestOracles.SingleAsync(o => o.SweepId == sweepId);
        var ngramPredictions = await db.NGramPredictions.SingleAsync(p => p.SweepId == sweepId);
        Assert.All(new[] { oracles.NgramOrder.Length, oracles.MemoryWindow.Length, oracles.TrainCount.Length, oracles.CharacterClass.Length, oracles.OpenerDistance.Length },
            n => Assert.Equal(ngramPredictions.Probabilities.Length, n));
        Assert.All(oracles.NgramOrder, n => Assert.InRange(n, 0, oracles.MaxOracleOrder));
        var breakdown = await RnnSweep.Orchestrator.Dashboard.PaperAnalyses.LoadAsync(db, sweepId, null, CancellationToken.None);
        Assert.Equal(runs.Select(r => r.Id).Order(), breakdown.Errors.Select(e => e.RunId).Distinct().Order());
        Assert.All(breakdown.Errors.GroupBy(e => e.RunId), g => Assert.Equal(g.First().TotalErrors, g.Sum(e => e.Errors)));

        // The view people query with psql.
        await using var sql = new NpgsqlConnection(connection);
        await sql.OpenAsync();
        await using var cmd = new NpgsqlCommand("select cell, status, test_loss from loss_table where sweep_id = @id", sql);
        cmd.Parameters.AddWithValue("id", sweepId);
        var rows = new List<(string Cell, string Status, double TestLoss)>();
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetDouble(2)));
        }
        Assert.Equal(["gru 1x16", "gru 1x8", "lstm 1x16", "lstm 1x8"], rows.Select(r => r.Cell).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.True(r.TestLoss < Math.Log(vocabulary.Size), $"{r.Cell}: test loss {r.TestLoss} is not below ln(V) = {Math.Log(vocabulary.Size)}"));

        // The API's loss table places each run in its own (hidden, model x layers) cell.
        var table = await orchestrator.Http.GetFromJsonAsync<JsonElement>($"/api/sweeps/{sweepId}/loss-table");
        var columns = table.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("label").GetString()).ToList();
        Assert.Equal(["lstm 1", "gru 1"], columns);
        Assert.Equal("nats per character", table.GetProperty("unit").GetString()); // a character vocabulary; the paper preset's bytes: per byte
        foreach (var row in table.GetProperty("rows").EnumerateArray())
        {
            var size = row.GetProperty("size").GetInt32();
            var cells = row.GetProperty("cells").EnumerateArray().ToList();
            for (var i = 0; i < columns.Count; i++)
            {
                var run = runs.Single(r => r.Id == cells[i].GetProperty("runId").GetInt64());
                Assert.Equal((columns[i], size), ($"{run.Model} {run.Layers}", run.Size));
                Assert.Equal(run.TestLoss, cells[i].GetProperty("testLoss").GetDouble());
            }
        }
    }
}
