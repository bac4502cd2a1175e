using Microsoft.Extensions.Options;

namespace RnnSweep.Orchestrator.Sweeps;

public sealed class ReaperOptions
{
    public const string Section = "Reaper";

    /// <summary>How often the Orchestrator looks for pending work without a live job (runs, baselines, analyses, samples).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// How long after its lease lapsed a running run gets a new job. Zero by default: a lease lapses only after its
    /// Worker missed three renewals, so waiting longer only delays the takeover.
    /// </summary>
    public TimeSpan Grace { get; set; } = TimeSpan.Zero;
    /// <summary>
    /// Runs get their jobs longest first (by estimated cost), so a grid's large cells do not start last. false: in the
    /// order the runs were created (first in, first out); only for comparing the two (<c>rnnsweep bench dispatch</c>).
    /// </summary>
    public bool LongestFirst { get; set; } = true;
}

/// <summary>
/// Keeps every sweep moving: every few seconds, each queued or running run without a live job or lease, and each
/// pending n-gram baseline, analysis or sample without a live job, gets a new job. The database says what is pending;
/// a Hangfire job that was deleted, requeued, finished early or lost only delays it. A duplicate job is harmless:
/// the lease lets only one train.
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
                    log.LogWarning("Looking for pending work without a job failed: {Error}", e.Message); // the database may be restarting
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    /// <summary>One pass; returns how many jobs were created.</summary>
    public async Task<int> ReapAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var runs = (await scope.ServiceProvider.GetRequiredService<RunDispatcher>().DispatchAsync(null, ct)).Count;
        var work = await scope.ServiceProvider.GetRequiredService<WorkDispatcher>().DispatchAsync(ct);
        return runs + work;
    }
}
