using Hangfire;

namespace RnnSweep.Shared.Jobs;

/// <summary>
/// The Hangfire job of one grid cell. It takes only the run id: everything else is read from the
/// database, so running it twice, or after a crash, resumes from the latest checkpoint.
/// The Orchestrator enqueues it; the Worker implements it.
/// </summary>
public interface ITrainRunJob
{
    [AutomaticRetry(Attempts = JobRetries.Attempts, DelaysInSeconds = [10, 30, 60, 120, 300])]
    [RunJobDisplayName]
    Task TrainAsync(long runId, CancellationToken cancellationToken);
}
