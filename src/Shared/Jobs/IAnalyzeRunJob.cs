namespace RnnSweep.Shared.Jobs;

/// <summary>After a run succeeds: gate saturation, cell activations, interpretable cells and samples of its best checkpoint.</summary>
public interface IAnalyzeRunJob
{
    Task AnalyzeAsync(long runId, CancellationToken cancellationToken);
}
