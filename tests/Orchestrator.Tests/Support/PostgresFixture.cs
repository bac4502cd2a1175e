using Npgsql;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.Tests.Support;

/// <summary>
/// One real PostgreSQL for the test run: <c>RNNSWEEP_TEST_CONNECTION</c> if set, otherwise a private server
/// started from the installed binaries (as the postgres user when root). Each test gets a fresh database.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private LocalPostgres? _local;
    private string _adminConnection = "";

    public LocalPostgres Server => _local ?? throw new InvalidOperationException("this test needs the private server (RNNSWEEP_TEST_CONNECTION is set)");

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("RNNSWEEP_TEST_CONNECTION") is { Length: > 0 } external)
        {
            _adminConnection = external;
            return;
        }
        var dir = Path.Combine(TestPaths.Home, $"test-pg-{Environment.ProcessId}");
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        // fsync off: a throwaway cluster; the product keeps it on (LocalPostgres.StartAsync's default).
        // Many connections: every test starts an Orchestrator (and Workers) on a database of its own, and their pools
        // outlive the test for a while.
        _local = await LocalPostgres.StartAsync(dir, fsync: false, maxConnections: 1000);
        _adminConnection = _local.ConnectionString;
    }

    /// <summary>A new empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t{Guid.NewGuid():N}"[..20];
        // Unpooled: a test may have restarted the server, and a pooled connection would be a dead one.
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_adminConnection) { Pooling = false }.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"create database {name}", conn);
        await cmd.ExecuteNonQueryAsync();
        // Idle pooled connections are closed within seconds, not Npgsql's default 5 minutes: each test's database is
        // used by that test only, so its pools would otherwise hold connection slots long after it ended.
        return new NpgsqlConnectionStringBuilder(_adminConnection) { Database = name, ConnectionIdleLifetime = 10, ConnectionPruningInterval = 5 }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        if (_local is null) return;
        await _local.DisposeAsync();
        try { Directory.Delete(_local.DataDir, recursive: true); File.Delete(_local.PasswordFile); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class DatabaseCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "database";
}
