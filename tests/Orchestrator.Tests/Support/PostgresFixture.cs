using Npgsql;
using RnnSweep.Orchestrator.Hosting;
using RnnSweep.Orchestrator.LocalCluster;

namespace RnnSweep.Orchestrator.Tests.Support;

/// <summary>
/// One real PostgreSQL for the test run: <c>RNNSWEEP_TEST_CONNECTION</c> if set, otherwise a private server
/// started from the installed binaries (as the postgres user when root). Each test gets a fresh database.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private LocalPostgres? _local;
    private string _adminConnection = "";
    private readonly SemaphoreSlim _templateLock = new(1);
    private string? _template;

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

    /// <summary>
    /// A new database holding what an Orchestrator's start gives an empty one (the EF Core migrations and Hangfire's
    /// schema, no rows); returns its connection string. It is a copy of a template database migrated once per test
    /// run by the Orchestrator's own start-up code, not migrated again: a copy takes a fraction of a second, the
    /// migrations a second or more per database.
    /// </summary>
    public async Task<string> CreateDatabaseAsync() => await CreateAsync(await TemplateAsync());

    /// <summary>
    /// A new database without any table, for tests of what meets an empty database (migrations, the CLI's
    /// "run rnnsweep migrate" message, a Worker's first start); returns its connection string.
    /// </summary>
    public Task<string> CreateEmptyDatabaseAsync() => CreateAsync(template: null);

    private async Task<string> CreateAsync(string? template)
    {
        var name = $"t{Guid.NewGuid():N}"[..20];
        await ExecuteAsync($"create database {name}" + (template is null ? "" : $" template {template}"));
        return ConnectionStringOf(name);
    }

    /// <summary>The template: an empty database migrated by <see cref="OrchestratorApp"/>, then left without connections (PostgreSQL copies only an unused one).</summary>
    private async Task<string> TemplateAsync()
    {
        await _templateLock.WaitAsync();
        try
        {
            if (_template is not null) return _template;
            var name = $"template{Guid.NewGuid():N}"[..20];
            await ExecuteAsync($"create database {name}");
            // Unpooled: no idle connection may stay open on a template. Build resolves Hangfire's storage, which
            // installs its schema; MigrateAsync applies the EF Core migrations: what LocalServer.StartAsync does.
            var connection = new NpgsqlConnectionStringBuilder(ConnectionStringOf(name)) { Pooling = false }.ConnectionString;
            var app = OrchestratorApp.Build([], connection, "http://127.0.0.1:0");
            try
            {
                await app.MigrateAsync();
            }
            finally
            {
                await app.DisposeAsync();
            }
            return _template = name;
        }
        finally
        {
            _templateLock.Release();
        }
    }

    private string ConnectionStringOf(string database) =>
        // Idle pooled connections are closed within seconds, not Npgsql's default 5 minutes: each test's database is
        // used by that test only, so its pools would otherwise hold connection slots long after it ended.
        new NpgsqlConnectionStringBuilder(_adminConnection) { Database = database, ConnectionIdleLifetime = 10, ConnectionPruningInterval = 5 }.ConnectionString;

    private async Task ExecuteAsync(string sql)
    {
        // Unpooled: a test may have restarted the server, and a pooled connection would be a dead one.
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_adminConnection) { Pooling = false }.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (_local is null)
        {
            // An external server outlives the run: leave no template behind (the tests' own databases stay, as before).
            if (_template is not null) await ExecuteAsync($"drop database if exists {_template}");
            return;
        }
        await _local.DisposeAsync();
        try { Directory.Delete(_local.DataDir, recursive: true); File.Delete(_local.PasswordFile); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class DatabaseCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "database";
}
