using RnnSweep.Worker.Jobs;
using RnnSweep.Worker.Stores;

namespace RnnSweep.Worker.Hosting;

/// <summary>
/// Readies the run store before the Hangfire server takes its first job: opens the first database connection (Npgsql
/// loads the server's types on it) and compiles the run lookup. Why: a cold Worker paid this in its first job, after it
/// had taken the run off the queue; with 8 Workers starting at once on 2 cores the first lease came 4.9 s after the
/// job on average (docs/benchmarks.md, "Dispatch order"), time during which the longest cell was held by a Worker not
/// yet able to train it. Best effort: a database that is away only delays the start by <see cref="Patience"/>; the
/// job's own retries handle it from there.
/// </summary>
public sealed class WorkerWarmUp(RunStore store, ILogger<WorkerWarmUp> log) : IHostedService
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    // Hosted services start one after another in registration order: registered before AddHangfireServer, this
    // finishes before the server fetches.
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Patience);
        try
        {
            await store.FindAsync(0, timeout.Token); // no run has id 0: reads nothing
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            log.LogWarning("Could not ready the run store before taking jobs ({Error}); the first job will", e.Message);
        }
        catch (OperationCanceledException)
        {
            // Stopped while starting ('rnnsweep sweep' with nothing left to train stops its Workers at once): nothing
            // to ready, and thrown on, the host logged "Hosting failed to start" with a stack trace over the terminal.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
