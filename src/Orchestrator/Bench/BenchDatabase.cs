using Npgsql;
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
    /// autovacuum worker has no role, so an application role without pg_signal_backend gets 42501 (seen at the end
    /// of a bench run, after the bench's own connections were closed); 55006 is a session that did not end in time.
    /// Both pass within seconds, so the drop is tried again for about half a minute.
    /// </summary>
    private static readonly ResiliencePipeline DropRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<PostgresException>(e => e.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse),
            MaxRetryAttempts = 8,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(250),
            MaxDelay = TimeSpan.FromSeconds(8),
        })
        .Build();

    public static async Task<string> RecreateAsync(string connectionString, CancellationToken ct)
    {
        await DropOnServerAsync(connectionString, ct);
        await ExecuteOnServerAsync(connectionString, $"create database {Name}", ct);
        return new NpgsqlConnectionStringBuilder(connectionString) { Database = Name }.ConnectionString;
    }

    public static Task DropAsync(string connectionString, CancellationToken ct)
    {
        NpgsqlConnection.ClearAllPools();
        return DropOnServerAsync(connectionString, ct);
    }

    private static Task DropOnServerAsync(string connectionString, CancellationToken ct) =>
        DropRetry.ExecuteAsync(async token => await ExecuteOnServerAsync(connectionString, $"drop database if exists {Name} with (force)", token), ct).AsTask();

    private static async Task ExecuteOnServerAsync(string connectionString, string sql, CancellationToken ct)
    {
        var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        await using var conn = new NpgsqlConnection(admin);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
