using Npgsql;
using RnnSweep.Orchestrator.LocalCluster;

namespace RnnSweep.Orchestrator.Tests.Support;

/// <summary>
/// One real PostgreSQL for the whole test run: <c>RNNSWEEP_TEST_CONNECTION</c> if set, otherwise a private server
/// started from the installed binaries (as the postgres user when root) on first use and stopped when the test
/// process exits. Each test gets fresh databases of its own, so test classes that only need that run in parallel
/// (a class fixture each); <see cref="DatabaseCollection"/> holds those that need the server or the process to
/// themselves. Every instance is a handle on the same server.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private static readonly Lazy<Task<SharedServer>> Shared = new(SharedServer.StartAsync);
    private SharedServer _shared = null!;

    public LocalPostgres Server => _shared.Local ?? throw new InvalidOperationException("this test needs the private server (RNNSWEEP_TEST_CONNECTION is set)");

    public async Task InitializeAsync() => _shared = await Shared.Value;

    /// <summary>
    /// A new database holding what an Orchestrator's start gives an empty one (the EF Core migrations and Hangfire's
    /// schema, no rows); returns its connection string. It is a copy of a template database migrated once per test
    /// run by the Orchestrator's own start-up code, not migrated again: a copy takes a fraction of a second, the
    /// migrations a second or more per database.
    /// </summary>
    public async Task<string> CreateDatabaseAsync() => await _shared.CreateAsync(await _shared.TemplateAsync());

    /// <summary>
    /// A new database without any table, for tests of what meets an empty database (migrations, the CLI's
    /// "run rnnsweep migrate" message, a Worker's first start); returns its connection string.
    /// </summary>
    public Task<string> CreateEmptyDatabaseAsync() => _shared.CreateAsync(template: null);

    /// <summary>Nothing: the server outlives every class (stopped when the process exits).</summary>
    public Task DisposeAsync() => Task.CompletedTask;

    private sealed class SharedServer
    {
        private readonly SemaphoreSlim _templateLock = new(1);
        private string? _template;

        private SharedServer(LocalPostgres? local, string adminConnection)
        {
            Local = local;
            AdminConnection = adminConnection;
        }

        public LocalPostgres? Local { get; }
        private string AdminConnection { get; }

        public static async Task<SharedServer> StartAsync()
        {
            if (Environment.GetEnvironmentVariable("RNNSWEEP_TEST_CONNECTION") is { Length: > 0 } external)
            {
                var server = new SharedServer(null, external);
                // An external server outlives the run: leave no template behind (the tests' own databases stay, as before).
                AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DropTemplate();
                return server;
            }
            await RemoveLeftoversAsync();
            var dir = Path.Combine(TestPaths.Home, $"{Prefix}{Environment.ProcessId}");
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            // fsync off: a throwaway cluster; the product keeps it on (LocalPostgres.StartAsync's default).
            // Many connections: every test starts an Orchestrator (and Workers) on a database of its own, and their pools
            // outlive the test for a while.
            var local = await LocalPostgres.StartAsync(dir, fsync: false, maxConnections: 1000);
            // why at process exit: xUnit 2 has no fixture for the whole assembly, and the parallel classes and the
            // collection that runs alone after them all use this server. The test runner may end this process before
            // the folder is deleted (or before the server has stopped): the next run removes what is left.
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                local.DisposeAsync().AsTask().GetAwaiter().GetResult();
                Remove(local.DataDir);
            };
            return new SharedServer(local, local.ConnectionString);
        }

        private const string Prefix = "test-pg-";

        /// <summary>The servers and folders of earlier test processes that have ended (named <c>test-pg-PID</c>).</summary>
        private static async Task RemoveLeftoversAsync()
        {
            if (!Directory.Exists(TestPaths.Home)) return;
            foreach (var dir in Directory.GetDirectories(TestPaths.Home, Prefix + "*"))
            {
                if (!int.TryParse(Path.GetFileName(dir)[Prefix.Length..], out var pid) || IsRunning(pid)) continue;
                await LocalPostgres.StopRunningAsync(dir);
                Remove(dir);
            }
        }

        private static bool IsRunning(int pid)
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        private static void Remove(string dataDir)
        {
            try { Directory.Delete(dataDir, recursive: true); File.Delete(dataDir + ".pgpass"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        public async Task<string> CreateAsync(string? template)
        {
            var name = $"t{Guid.NewGuid():N}"[..20];
            await ExecuteAsync($"create database {name}" + (template is null ? "" : $" template {template}"));
            return ConnectionStringOf(name);
        }

        /// <summary>The template: an empty database migrated by the Orchestrator, then left without connections (PostgreSQL copies only an unused one).</summary>
        public async Task<string> TemplateAsync()
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
                await OrchestratorHost.MigrateAsync(connection);
                return _template = name;
            }
            finally
            {
                _templateLock.Release();
            }
        }

        private void DropTemplate()
        {
            if (_template is not null) ExecuteAsync($"drop database if exists {_template}").GetAwaiter().GetResult();
        }

        private string ConnectionStringOf(string database) =>
            // Idle pooled connections are closed within seconds, not Npgsql's default 5 minutes: each test's database is
            // used by that test only, so its pools would otherwise hold connection slots long after it ended.
            new NpgsqlConnectionStringBuilder(AdminConnection) { Database = database, ConnectionIdleLifetime = 10, ConnectionPruningInterval = 5 }.ConnectionString;

        private async Task ExecuteAsync(string sql)
        {
            // Unpooled: a test may have restarted the server, and a pooled connection would be a dead one.
            await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(AdminConnection) { Pooling = false }.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(sql, conn);
            await cmd.ExecuteNonQueryAsync();
        }
    }
}

/// <summary>
/// The test classes that need the server or the process to themselves, one after another once the parallel classes
/// are done: they stop and restart the server, redirect the console or set environment variables (the CLI in-process),
/// or train with Worker processes whose timing a busy machine would stretch.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DatabaseCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "database";
}
