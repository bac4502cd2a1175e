using Hangfire;

namespace RnnSweep.Shared.Jobs;

/// <summary>The paper's n-gram baseline (n = 1..20 as memory allows) on a sweep's corpus and splits.</summary>
public interface INGramBaselineJob
{
    [AutomaticRetry(Attempts = JobRetries.Attempts, DelaysInSeconds = [10, 30, 60, 120, 300])]
    [RunJobDisplayName(JobSubject.Sweep, "n-gram baseline")]
    Task ComputeAsync(long sweepId, CancellationToken cancellationToken);
}
