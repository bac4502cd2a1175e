using Hangfire;

namespace RnnSweep.Shared.Jobs;

/// <summary>After a run succeeds: gate saturation, cell activations, interpretable cells and samples of its best checkpoint.</summary>
public interface IAnalyzeRunJob
{
    [AutomaticRetry(Attempts = JobRetries.Attempts, DelaysInSeconds = [10, 30, 60, 120, 300])]
    [RunJobDisplayName(JobSubject.Run, "analyze")]
    Task AnalyzeAsync(long runId, CancellationToken cancellationToken);
}
