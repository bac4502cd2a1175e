using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Runs;
using RnnSweep.Worker.Stores;

namespace RnnSweep.Worker.Jobs;

/// <summary>
/// Training stood in for by waiting (<see cref="Hosting.WorkerOptions.SimulatedSecondsPerCost"/>), a bench and test
/// tool: every epoch takes the run's estimated cost per epoch times the scale in seconds, then is committed through
/// <see cref="RunLife"/> as a real one is (lease, progress, metrics row, an empty checkpoint), so dispatch order,
/// makespan and estimates are measured on real Hangfire and Worker processes without the CPU time of training.
/// </summary>
public static class SimulatedTraining
{
    public const string Reason = "simulated training (Worker:SimulatedSecondsPerCost, a bench tool): no model was trained";

    public static async Task<RunOutcome> RunAsync(RunStore store, RunStore.RunInfo run, string owner, double secondsPerCost, ILogger log, CancellationToken ct)
    {
        var epochCost = await store.EpochCostAsync(run.Id, ct) ?? throw new InvalidOperationException($"run {run.Id} has no estimated cost to simulate");
        var epochSeconds = epochCost * secondsPerCost;
        var latest = await store.LoadCheckpointAsync(run.Id, CheckpointKind.Latest, ct);
        var maxEpochs = run.MaxEpochs;
        var epoch = latest?.Epoch ?? 0;
        log.LogInformation("Run {RunId}: simulating {Epochs} epochs of {Seconds:0.000} s", run.Id, maxEpochs - epoch, epochSeconds);
        while (epoch < maxEpochs)
        {
            epoch++;
            await Task.Delay(TimeSpan.FromSeconds(epochSeconds), ct);
            var loss = 1 + 1.0 / epoch; // made up, decreasing: every epoch is the best so far
            maxEpochs = await store.Life.CommitEpochAsync(run.Id, owner, new EpochCommit(epoch, loss, loss, 0, 0, 0, 0, epochSeconds, 0, epoch, true,
                new StoredCheckpoint(epoch, loss, [], [], "{}")), ct) ?? throw new LeaseLostException(run.Id);
        }
        var final = 1 + 1.0 / Math.Max(epoch, 1);
        return new RunOutcome(RunStatus.Succeeded, final, final, null, StopKind.MaxEpochs, Reason, null);
    }
}
