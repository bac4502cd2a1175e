using Npgsql;

namespace RnnSweep.Orchestrator.Bench;

/// <summary>
/// A database of its own on the same server (<c>rnnsweep_bench</c>), created empty for every run, so the bench's
/// 10,000-cell sweep and test jobs never mix with real sweeps and no stray Worker picks its jobs up.
/// </summary>
public static class BenchDatabase
{
    public const string Name = "rnnsweep_bench";

    public static async Task<string> RecreateAsync(string connectionString, CancellationToken ct)
    {
        await ExecuteOnServerAsync(connectionString, $"drop database if exists {Name} with (force)", ct);
        await ExecuteOnServerAsync(connectionString, $"create database {Name}", ct);
        return new NpgsqlConnectionStringBuilder(connectionString) { Database = Name }.ConnectionString;
    }

    public static Task DropAsync(string connectionString, CancellationToken ct)
    {
        NpgsqlConnection.ClearAllPools();
        return ExecuteOnServerAsync(connectionString, $"drop database if exists {Name} with (force)", ct);
    }

    private static async Task ExecuteOnServerAsync(string connectionString, string sql, CancellationToken ct)
    {
        var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        await using var conn = new NpgsqlConnection(admin);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
