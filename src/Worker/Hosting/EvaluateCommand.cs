using RnnSweep.Shared.Database;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Hosting;
using RnnSweep.Worker.Stores;
using RnnSweep.Worker.Training;

namespace RnnSweep.Worker.Hosting;

/// <summary>
/// <c>RnnSweep.Worker evaluate RUN [RUN ...]</c>: the losses of runs' best checkpoints now, on full train, validation and
/// test passes (dropout off), for runs still training: a long sweep's table before it ends. Writes nothing.
/// </summary>
public static class EvaluateCommand
{
    public const string Verb = "evaluate";

    /// <param name="log">Where the database retries' warnings go (the console, as every verb's).</param>
    public static async Task<int> RunAsync(IReadOnlyList<long> runIds, ILogger log)
    {
        var connection = DatabaseSettings.FromEnvironment();
        if (connection is null)
        {
            Console.Error.WriteLine($"error: no database: set {DatabaseSettings.EnvironmentVariable} (usage: {DatabaseSettings.EnvironmentVariable}=... RnnSweep.Worker {Verb} RUN-ID [RUN-ID ...])");
            return 2;
        }
        using var store = new RunStore(connection, log);
        await Jobs.TorchThread.Instance.Enter(); // every run's evaluation on one thread, as a Worker's jobs (TorchLock)
        var device = TorchDevice.Select("cpu", 0);
        Console.WriteLine("run\tcell\tbest epoch\ttrain\tvalidation\ttest\ttest bits/char");
        foreach (var runId in runIds)
        {
            var run = await store.FindAsync(runId, CancellationToken.None);
            var best = run is null ? null : await store.LoadCheckpointAsync(runId, CheckpointKind.Best, CancellationToken.None);
            if (run is null || best is null)
            {
                Console.WriteLine($"{runId}\t-\tno best checkpoint");
                continue;
            }
            var data = await RunData.LoadAsync(store, run, new WorkerOptions().CacheDir, log, CancellationToken.None);
            var (train, validation, test) = Evaluator.Losses(data.Cell, data.Splits, best, device.Device);
            Console.WriteLine($"{runId}\t{run.Model} {run.Layers}x{run.Hidden}\t{best.Epoch}\t{train:0.000}\t{validation:0.000}\t{test:0.000}\t{test / Math.Log(2):0.000}");
        }
        return 0;
    }
}
