using RnnSweep.Shared.Runs;

namespace RnnSweep.Worker.Stores;

/// <summary>
/// The Worker's way into <see cref="Transient"/>'s retry pipeline for a whole database call made by a job (an analysis
/// stored, a sample answered): training state lives in memory, and every write here is idempotent (upserts and
/// lease-guarded updates), so trying again through a restart or a network cut is safe. One policy for the product:
/// the same transient errors, back-off and log line as the stores that retry inside.
/// </summary>
public static class DbRetry
{
    /// <summary>Runs <paramref name="call"/>, retrying transient database errors for about <paramref name="patience"/>
    /// (default <see cref="Transient.WorkerPatience"/>); other errors and cancellation surface at once.</summary>
    public static async Task<T> RunAsync<T>(Func<Task<T>> call, ILogger log, CancellationToken ct, TimeSpan? patience = null) =>
        await Transient.Pipeline(patience ?? Transient.WorkerPatience, log).ExecuteAsync(async _ => await call(), ct);

    public static bool IsTransient(Exception e) => Transient.IsTransient(e);
}
