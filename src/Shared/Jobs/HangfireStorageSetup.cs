using Hangfire;
using Hangfire.PostgreSql;
using RnnSweep.Shared.Database;

namespace RnnSweep.Shared.Jobs;

/// <summary>One Hangfire storage configuration for the Orchestrator and every Worker.</summary>
public static class HangfireStorageSetup
{
    /// <summary>
    /// The default time after which a job whose worker stopped heart-beating is handed to another worker.
    /// </summary>
    public static readonly TimeSpan DefaultInvisibilityTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a Worker whose queues are empty waits before asking again. A Worker whose queue holds jobs never waits
    /// (the fetch returns the next one at once); this is the delay before a job enqueued into an idle queue starts:
    /// a new sweep's first runs, a run dispatched again, an analysis. Each poll is one indexed statement.
    /// </summary>
    public static readonly TimeSpan DefaultQueuePollInterval = TimeSpan.FromMilliseconds(250);

    /// <param name="invisibilityTimeout">Dead-worker detection time (default <see cref="DefaultInvisibilityTimeout"/>).</param>
    /// <param name="queuePollInterval">Idle fetch interval (default <see cref="DefaultQueuePollInterval"/>); only a Hangfire server fetches.</param>
    public static IGlobalConfiguration UseRnnSweepStorage(this IGlobalConfiguration config, string connectionString, TimeSpan? invisibilityTimeout = null,
        TimeSpan? queuePollInterval = null)
    {
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = DatabaseSettings.HangfireSchema,
            PrepareSchemaIfNecessary = true,
            // why: without sliding, a job running longer than InvisibilityTimeout (30 min by default) is started a
            // second time on another worker. With it, the timeout becomes the dead-worker detection time
            // (docs/architecture.md#why-the-sliding-invisibility-timeout, verified in Hangfire.PostgreSql 1.21).
            UseSlidingInvisibilityTimeout = true,
            InvisibilityTimeout = invisibilityTimeout ?? DefaultInvisibilityTimeout,
            // why not LISTEN/NOTIFY (EnableLongPolling): after a PostgreSQL restart an idle Worker's listening
            // connection is not re-established and it never fetched another job (seen in
            // RunLifeFaultTests.DatabaseRestarted_…; hangfire-postgres/Hangfire.PostgreSql#410). Polling survives
            // restarts; at 4 polls a second an idle Worker thread costs one indexed statement every 250 ms, and a job
            // enqueued into an idle queue starts ~0.1 s later on average instead of ~0.5 s at 1 s (docs/benchmarks.md, "Dispatch order").
            EnableLongPolling = false,
            QueuePollInterval = queuePollInterval ?? DefaultQueuePollInterval,
        };
        return config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(o => o.UseNpgsqlConnection(DatabaseSettings.WithApplicationName(connectionString, "rnnsweep-hangfire")), options);
    }
}
