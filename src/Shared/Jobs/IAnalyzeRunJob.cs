namespace RnnSweep.Shared.Jobs;

/// <summary>After a run succeeds: gate saturation, cell activations, interpretable cells and samples of its best checkpoint.</summary>
public interface IAnalyzeRunJob
{
    [RunJobDisplayName(JobSubject.Run, "analyze")]
    Task AnalyzeAsync(long runId, CancellationToken cancellationToken);
}
