namespace RnnSweep.Worker.Jobs;

/// <summary>
/// Retries a database call through a restart or a network cut: training state lives in memory, and every
/// write here is idempotent (upserts and lease-guarded updates), so trying again is safe.
/// </summary>
public static class DbRetry
{
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromMinutes(5);

    public static async Task<T> RunAsync<T>(Func<Task<T>> call, ILogger log, CancellationToken ct, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? DefaultPatience);
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsTransient(e) && DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                log.LogWarning("Database unavailable ({Error}); retrying in {Delay} ms", e.Message, (int)delay.TotalMilliseconds);
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    public static bool IsTransient(Exception e) => Shared.Runs.Transient.IsTransient(e);
}
