namespace RnnSweep.Worker.Stores;

/// <summary>
/// Renews a run's lease while it trains. When the lease is found taken (another worker took the run over, or it
/// was cancelled), <see cref="Lost"/> fires and training stops without writing.
/// </summary>
public sealed class LeaseKeeper : IAsyncDisposable
{
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LeaseKeeper(RunStore store, long runId, string owner, TimeSpan duration, ILogger log)
    {
        _loop = Task.Run(async () =>
        {
            var interval = duration / 3;
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(interval, _stop.Token);
                    if (!await store.Life.RenewLeaseAsync(runId, owner, duration, _stop.Token))
                    {
                        log.LogWarning("Lease on run {RunId} lost: another worker has it or it was cancelled; stopping", runId);
                        await _lost.CancelAsync();
                        return;
                    }
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (DbRetry.IsTransient(e))
                {
                    // The database is away: keep training; the epoch commit checks ownership before writing.
                    log.LogWarning("Could not renew the lease on run {RunId}: {Error}", runId, e.Message);
                }
            }
        });
    }

    public CancellationToken Lost => _lost.Token;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _lost.Dispose();
    }
}
