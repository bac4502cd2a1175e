using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Cli;

/// <summary>
/// 'rnnsweep export-model' writes a run's best checkpoint so that stock PyTorch (Debian 12's python3-torch 1.13) loads
/// it into torch.nn modules and gets the run's stored test loss on the same split, to 1e-4.
/// </summary>
[Collection(DatabaseCollection.Name)]
[Trait("Category", "WorkerProcess")]
public sealed class ModelExportTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3"; // Debian's, where python3-torch is installed

    [Fact]
    public async Task ExportedModels_LoadedWithStockPyTorch_GiveTheRunsTestLoss()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        await using var worker = WorkerProcess.Start(connection, "export-worker");
        var text = GeneratedText.Sentences(12_000, seed: 3);
        // One-hot input with every cell type on two layers (names l0 and l1, dropout between), and the embedding input.
        var sweeps = new List<long>();
        foreach (var (models, layers, input) in new[] { (new[] { "lstm", "gru", "rnn" }, 2, "onehot"), (new[] { "lstm" }, 1, "embedding") })
        {
            var response = await orchestrator.Http.PostAsJsonAsync("/api/sweeps", new
            {
                name = $"export {input}", corpus = "generated", corpusText = text, models, layers = new[] { layers }, hiddenSizes = new[] { 12 },
                hyperparameters = new { maxEpochs = 2, patience = 2, seqLength = 16, batchSize = 8, learningRate = 0.01, seed = 7, input, dropout = 0.1 },
            });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            sweeps.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());
        }
        var runs = new List<Shared.Schema.Run>();
        try
        {
            foreach (var id in sweeps) runs.AddRange(await SweepWaiter.UntilFinishedAsync(orchestrator.Db, id, TimeSpan.FromMinutes(8), () => worker.Output));
        }
        finally
        {
            worker.WriteTo(output);
        }
        Assert.Equal(4, runs.Count);

        var dir = Path.Combine(TestPaths.Artifacts("model-export"), Guid.NewGuid().ToString("N")[..8]);
        foreach (var run in runs)
        {
            Assert.NotNull(run.TestLoss);
            var (exit, stdout, stderr) = await CliRunner.RunAsync(connection, "export-model", run.Id.ToString(CultureInfo.InvariantCulture), "--dir", dir);
            Assert.True(exit == 0, stderr);
            var pt = Path.Combine(dir, $"run-{run.Id}.pt");
            var json = Path.Combine(dir, $"run-{run.Id}.json");
            Assert.Contains(pt, stdout, StringComparison.Ordinal);

            // The same split the Worker scored, cut by the product's own code, handed to Python as text.
            var hp = JsonSerializer.Deserialize<Hyperparameters>(run.Hyperparameters, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
            var content = Encoding.UTF8.GetBytes(text);
            var vocabulary = Vocabulary.Build(content, hp.Vocabulary);
            var test = CorpusSplits.From(vocabulary.Encode(content), vocabulary.Size, hp).Test;
            var testFile = Path.Combine(dir, $"run-{run.Id}-test.txt");
            await File.WriteAllTextAsync(testFile, vocabulary.Decode(Enumerable.Range(0, (int)test.Length).Select(i => test[i])));

            var loss = await PythonLossAsync(pt, json, testFile);
            output.WriteLine($"run {run.Id} {run.Cell} ({hp.Input}): PyTorch {loss:0.000000}, stored {run.TestLoss:0.000000}, difference {Math.Abs(loss - run.TestLoss!.Value):0.0e0}");
            Assert.True(Math.Abs(loss - run.TestLoss!.Value) < 1e-4, $"run {run.Id} {run.Cell}: PyTorch {loss}, stored {run.TestLoss}");

            // The API serves the same two files.
            Assert.Equal(await File.ReadAllBytesAsync(pt), await orchestrator.Http.GetByteArrayAsync($"/api/runs/{run.Id}/model.pt"));
            Assert.Equal(await File.ReadAllTextAsync(json), await orchestrator.Http.GetStringAsync($"/api/runs/{run.Id}/model.json"));
        }

        var missing = await orchestrator.Http.GetAsync("/api/runs/999999/model.pt");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var (code, _, error) = await CliRunner.RunAsync(connection, "export-model", "999999", "--dir", dir);
        Assert.Equal((2, "error: run-id: no run 999999"), (code, error.Trim()));
    }

    /// <summary>Runs exported_model_loss.py with Debian's Python and PyTorch; returns the loss it prints.</summary>
    private async Task<double> PythonLossAsync(string pt, string json, string textFile)
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: scripts/prerequisites.sh test installs python3-torch");
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(TestPaths.RepoRoot, "tests", "Orchestrator.Tests", "Cli", "exported_model_loss.py"), pt, json, textFile }) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"python exited {process.ExitCode}: {await stderr}");
        return double.Parse((await stdout).Trim(), CultureInfo.InvariantCulture);
    }
}
