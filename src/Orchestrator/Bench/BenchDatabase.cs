using Npgsql;
using RnnSweep.Shared.Domain;
using Polly;
using Polly.Retry;

namespace RnnSweep.Orchestrator.Bench;

/// <summary>
/// A database of its own on the same server (<c>rnnsweep_bench</c>), created empty for every run, so the bench's
/// 10,000-cell sweep and test jobs never mix with real sweeps and no stray Worker picks its jobs up.
/// </summary>
public static class BenchDatabase
{
    public const string Name = "rnnsweep_bench";

    /// <summary>
    /// <c>drop database ... with (force)</c> refuses when a backend it may not terminate is in the database: an
    /// autovacuum worker has no role, so an application role without pg_signal_backend gets 42501 "permission denied
    /// to terminate process" (seen at the end of a bench run, after the bench's own connections were closed); 55006 is
    /// a session that did not end in time. Both pass within seconds, so the drop is tried again for about half a
    /// minute; other 42501 errors (not the owner) are final.
    /// </summary>
    private static readonly ResiliencePipeline DropRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<PostgresException>(e => e.SqlState == PostgresErrorCodes.ObjectInUse ||
                (e.SqlState == PostgresErrorCodes.InsufficientPrivilege && e.MessageText.Contains("terminat", StringComparison.Ordinal))),
            MaxRetryAttempts = 8,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(250),
            MaxDelay = TimeSpan.FromSeconds(8),
        })
        .Build();

    /// <summary>
    /// Holds a session-level advisory lock on the server for as long as the returned connection stays open, so a
    /// second <c>rnnsweep bench</c> against the same server refuses at once instead of dropping the database the
    /// first one is measuring in (which then failed part after part with 3D000).
    /// </summary>
    /// <exception cref="ValidationException">Another bench holds the lock.</exception>
    public static async Task<NpgsqlConnection> LockAsync(string connectionString, CancellationToken ct)
    {
        var admin = new NpgsqlConnection(OnServer(connectionString));
        var locked = false;
        try
        {
            await admin.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand($"select pg_try_advisory_lock(hashtext('{Name}'))", admin);
            locked = await cmd.ExecuteScalarAsync(ct) is true;
        }
        finally
        {
            if (!locked) await admin.DisposeAsync();
        }
        return locked ? admin
            : throw new ValidationException("bench", $"another rnnsweep bench is running against this PostgreSQL server (in its database {Name}); wait for it to end");
    }

    public static async Task<string> RecreateAsync(string connectionString, CancellationToken ct)
    {
        await DropOnServerAsync(connectionString, ct);
        await ExecuteOnServerAsync(connectionString, $"create database {Name}", ct);
        return new NpgsqlConnectionStringBuilder(connectionString) { Database = Name }.ConnectionString;
    }

    /// <summary>
    /// Drops the bench database at the end of a run. The figures are worth more than the scratch database: a drop
    /// that still fails is one warning on stderr (the next run drops it first), not an exception that loses the report.
    /// </summary>
    public static async Task DropOrWarnAsync(string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        try { await DropOnServerAsync(connectionString, CancellationToken.None); }
        catch (NpgsqlException e) { Console.Error.WriteLine($"warning: could not drop the bench database {Name} ({(e as PostgresException)?.SqlState ?? e.GetType().Name}: {e.Message}); the next bench run drops it"); }
    }

    private static Task DropOnServerAsync(string connectionString, CancellationToken ct) =>
        DropRetry.ExecuteAsync(async token => await ExecuteOnServerAsync(connectionString, $"drop database if exists {Name} with (force)", token), ct).AsTask();

    private static async Task ExecuteOnServerAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(OnServer(connectionString));
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The same server's maintenance database, unpooled: where a database is created, dropped or locked for.</summary>
    private static string OnServer(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString;
}
