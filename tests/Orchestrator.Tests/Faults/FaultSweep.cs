using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Tests.Faults;

/// <summary>Small sweeps whose epochs last long enough (about half a second) to be interrupted in the middle.</summary>
public static class FaultSweep
{
    public const int Epochs = 6;

    /// <summary>Short lease and invisibility timeouts: a dead worker's run is taken over within seconds.</summary>
    public static readonly Dictionary<string, string> FastTakeover = new()
    {
        ["Worker__LeaseDuration"] = "00:00:03",
        ["Worker__InvisibilityTimeout"] = "00:00:06",
        ["Worker__ShutdownTimeout"] = "00:00:05",
    };

    public static readonly string Text = GeneratedText.Sentences(40_000, seed: 3);

    public static object Spec(string name, string[]? models = null, int maxEpochs = Epochs) => new
    {
        name,
        corpus = "faults",
        corpusText = Text,
        models = models ?? ["lstm"],
        layers = new[] { 1 },
        hiddenSizes = new[] { 48 },
        hyperparameters = new { maxEpochs, patience = Epochs, seqLength = 16, batchSize = 8, learningRate = 0.005, dropout = 0.1, seed = 11 },
    };

    public static async Task<long> SubmitAsync(OrchestratorHost host, object spec)
    {
        using var response = await host.Http.PostAsJsonAsync("/api/sweeps", spec);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    public static async Task<List<EpochMetric>> EpochsAsync(OrchestratorHost host, long runId)
    {
        await using var db = host.Db();
        return await db.EpochMetrics.AsNoTracking().Where(m => m.RunId == runId).OrderBy(m => m.Epoch).ToListAsync();
    }

    /// <summary>Exactly one row per epoch, 1..n, and the same losses as the reference run, epoch by epoch.</summary>
    public static async Task AssertSameTrainingAsync(OrchestratorHost host, Run run, Run reference)
    {
        var epochs = await EpochsAsync(host, run.Id);
        var expected = await EpochsAsync(host, reference.Id);
        Assert.Equal(Enumerable.Range(1, expected.Count), epochs.Select(m => m.Epoch));
        Assert.Equal(expected.Select(m => (m.TrainLoss, m.ValLoss)), epochs.Select(m => (m.TrainLoss, m.ValLoss)));
        Assert.Equal((reference.TrainLoss, reference.ValLoss, reference.TestLoss), (run.TrainLoss, run.ValLoss, run.TestLoss));
    }
}
