using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Sweeps;

public sealed class ReaperOptions
{
    public const string Section = "Reaper";

    /// <summary>How often the Orchestrator looks for runs nobody is training.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// How long after its lease expired a "running" run is given back to the queue. Longer than Hangfire's
    /// invisibility timeout, so that Hangfire's own redelivery of a dead worker's job normally comes first.
    /// </summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// The safety net under Hangfire's redelivery: a run left "running" whose lease expired long ago (its job deleted,
/// expired or lost) and a queued run that never got a job (a crash between commit and enqueue) are enqueued again.
/// A duplicate job is harmless: the lease lets only one train.
/// </summary>
public sealed class StaleRunReaper(IServiceScopeFactory scopes, IOptions<ReaperOptions> options, ILogger<StaleRunReaper> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await ReapAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    log.LogWarning("Looking for stale runs failed: {Error}", e.Message); // the database may be restarting
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    public async Task<int> ReapAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RnnSweepDbContext>();
        var cutoff = DateTimeOffset.UtcNow - options.Value.Grace;
        var stale = await db.Runs.Where(r => r.Status == RunStatus.Running && r.LeaseExpiresAt < cutoff)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Queued).SetProperty(r => r.JobId, (string?)null)
                .SetProperty(r => r.LeaseOwner, (string?)null).SetProperty(r => r.LeaseExpiresAt, (DateTimeOffset?)null), ct);
        if (stale > 0) log.LogWarning("{Count} runs were running without a live worker; queued again", stale);
        var sweeps = await db.Runs.Where(r => r.Status == RunStatus.Queued && r.JobId == null).Select(r => r.SweepId).Distinct().ToListAsync(ct);
        var dispatcher = scope.ServiceProvider.GetRequiredService<RunDispatcher>();
        var enqueued = 0;
        foreach (var sweepId in sweeps) enqueued += await dispatcher.EnqueuePendingAsync(sweepId, ct);
        return enqueued;
    }
}
