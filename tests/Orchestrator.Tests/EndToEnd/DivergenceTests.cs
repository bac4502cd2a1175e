using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Tests.Faults;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.EndToEnd;

/// <summary>A run that blows up ends diverged with its reason, never succeeded; optionally it retries at half the rate.</summary>
[Trait("Category", "WorkerProcess")]
[Collection(DatabaseCollection.Name)]
public sealed class DivergenceTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private static object Absurd(string name, int retries) => new
    {
        name,
        corpus = "faults",
        corpusText = FaultSweep.Text,
        models = new[] { "rnn" },
        layers = new[] { 1 },
        hiddenSizes = new[] { 32 },
        hyperparameters = new { optimizer = "rmsprop", learningRate = 10.0, gradClip = 0, maxEpochs = 3, seqLength = 16, batchSize = 8, divergenceRetries = retries },
    };

    [Fact]
    public async Task AbsurdLearningRate_EndsDivergedWithAReason_AndRetriesAtHalfTheRate()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        await using var worker = WorkerProcess.Start(host.ConnectionString, "w");
        try
        {
            var plain = await FaultSweep.SubmitAsync(host, Absurd("absurd", retries: 0));
            var retried = await FaultSweep.SubmitAsync(host, Absurd("absurd with retries", retries: 2));
            var run = (await SweepWaiter.UntilFinishedAsync(host.Db, plain, TimeSpan.FromMinutes(2), () => worker.Output)).Single();
            var retry = (await SweepWaiter.UntilFinishedAsync(host.Db, retried, TimeSpan.FromMinutes(2), () => worker.Output)).Single();

            Assert.Equal(RunStatus.Diverged, run.Status);
            Assert.False(string.IsNullOrWhiteSpace(run.StopReason));
            Assert.Matches("NaN|Infinity|above", run.StopReason);
            Assert.Equal(0, run.DivergenceRetries);

            Assert.Equal(RunStatus.Diverged, retry.Status); // 10, 5 and 2.5 are all absurd
            Assert.Equal(2, retry.DivergenceRetries);
            Assert.Equal(StopKind.Divergence, retry.StopKind);
            // The submitted hyperparameters stay as submitted; the last restart trained at 10 / 2^2, derived from the count.
            var hp = JsonSerializer.Deserialize<Hyperparameters>(retry.Hyperparameters, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
            Assert.Equal(10.0, hp.LearningRate);
            Assert.Equal(2.5, RnnSweep.Shared.Runs.RunHyperparameters.Effective(hp, retry.MaxEpochs, retry.DivergenceRetries).LearningRate);
            Assert.Contains("restart 2 of 2 at learning rate 2.5", worker.Output);
            await using var db = host.Db();
            Assert.DoesNotContain(await db.Runs.Where(r => r.SweepId == plain || r.SweepId == retried).Select(r => r.Status).ToListAsync(), s => s == RunStatus.Succeeded);
        }
        finally
        {
            worker.WriteTo(output);
        }
    }
}
