namespace RnnSweep.Worker.Stores;

/// <summary>A write found the run's lease held by someone else: stop at once and write nothing more.</summary>
public sealed class LeaseLostException(long runId) : Exception($"the lease on run {runId} is held by another worker or the run was cancelled");
