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

    public static IGlobalConfiguration UseRnnSweepStorage(this IGlobalConfiguration config, string connectionString, TimeSpan? invisibilityTimeout = null)
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
            // RunLifeFaultTests.DatabaseRestarted_…; hangfire-postgres/Hangfire.PostgreSql#410). Polling every second
            // survives restarts and costs one indexed query per Worker thread per second.
            EnableLongPolling = false,
            QueuePollInterval = TimeSpan.FromSeconds(1),
        };
        return config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(o => o.UseNpgsqlConnection(DatabaseSettings.WithApplicationName(connectionString, "rnnsweep-hangfire")), options);
    }
}
