using Hangfire;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Runs;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>
/// Cancel and resume, through <see cref="RunLife"/>. Cancelling marks runs <c>cancelled</c>, drops their lease and
/// deletes their Hangfire jobs: the Worker's next write finds the run no longer its own and stops, and the job's
/// deletion cancels its token. Checkpoints stay, so resuming continues each run from its latest checkpoint.
/// Resume never touches a succeeded run unless its epoch cap was raised past where it stopped.
/// </summary>
public sealed class SweepControl(RunLife life, RunDispatcher dispatcher, IBackgroundJobClient jobs, ILogger<SweepControl> log)
{
    /// <summary>Cancels the sweep's queued and running runs (or one run); returns how many.</summary>
    public async Task<int> CancelAsync(long sweepId, long? runId, CancellationToken ct)
    {
        var jobIds = await life.CancelAsync(sweepId, runId, ct);
        foreach (var jobId in jobIds.OfType<string>()) jobs.Delete(jobId);
        log.LogInformation("Sweep {SweepId}: {Count} runs cancelled", sweepId, jobIds.Count);
        return jobIds.Count;
    }

    /// <summary>
    /// Queues again every run of the sweep (or one run) that failed, diverged or was cancelled, then gives a job to
    /// each of the sweep's runs that has no way forward (these, and queued or running runs whose job or lease was
    /// lost); returns how many runs were resumed or got a job (by this call or, meanwhile, by the reaper). With <paramref name="maxEpochs"/>, the runs' epoch cap is set first:
    /// running ones pick it up after their epoch, and succeeded ones that stopped at a lower cap continue too.
    /// </summary>
    public async Task<int> ResumeAsync(long sweepId, long? runId, int? maxEpochs, CancellationToken ct)
    {
        if (maxEpochs is < 1 or > Hyperparameters.MaxEpochsLimit)
            throw new ValidationException("maxEpochs", $"must be between 1 and {Hyperparameters.MaxEpochsLimit}, not {maxEpochs}");
        var resumed = await life.ResumeAsync(sweepId, runId, maxEpochs, ct);
        var dispatched = await dispatcher.DispatchAsync(sweepId, ct);
        return resumed.Union(dispatched).Count();
    }
}
