using Hangfire;

namespace RnnSweep.Shared.Jobs;

/// <summary>Fills in a requested <c>samples</c> row from its run's best checkpoint (the Orchestrator has no TorchSharp).</summary>
public interface ISampleJob
{
    [AutomaticRetry(Attempts = JobRetries.Attempts, DelaysInSeconds = [10, 30, 60, 120, 300])]
    [RunJobDisplayName(JobSubject.Sample, "sample")]
    Task SampleAsync(long sampleId, CancellationToken cancellationToken);
}
