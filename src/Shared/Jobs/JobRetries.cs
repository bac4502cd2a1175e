namespace RnnSweep.Shared.Jobs;

/// <summary>
/// How often Hangfire retries a job that threw. Only infrastructure errors get that far (the database away for longer
/// than a job's own retries): a run's deterministic failures (bad corpus, divergence, a model that learned nothing) are
/// recorded on the run by the job itself, which then ends normally. Hangfire's default of 10 attempts would
/// repeat a broken job for hours (docs/architecture.md#the-other-settings-and-why).
/// </summary>
public static class JobRetries
{
    public const int Attempts = 5;
}
