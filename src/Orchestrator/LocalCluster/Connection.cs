using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.LocalCluster;

/// <summary>
/// The database a CLI command talks to: <c>RNNSWEEP_CONNECTION</c>, else <c>ConnectionStrings:RnnSweep</c> in
/// appsettings.json, else a private PostgreSQL in <c>$RNNSWEEP_HOME/postgres</c> started (or reused) on demand.
/// </summary>
public sealed class Connection : IAsyncDisposable
{
    public const string HomeVariable = "RNNSWEEP_HOME";

    private LocalPostgres? _local;

    private readonly bool _stopOnDispose;

    private Connection(string connectionString, LocalPostgres? local, bool stopOnDispose = false)
    {
        ConnectionString = connectionString;
        _local = local;
        _stopOnDispose = stopOnDispose;
    }

    public string ConnectionString { get; }
    public bool IsLocal => _local is not null;
    /// <summary>The private server, when this command uses it.</summary>
    public LocalPostgres? Local => _local;
    /// <summary>How to reach the database with psql.</summary>
    /// <remarks>
    /// The private server wants its generated password: the URI names the pgpass file (<c>?passfile=</c>), so the
    /// line works pasted as it is, in psql and in <c>RNNSWEEP_CONNECTION</c>.
    /// </remarks>
    public string PsqlTarget => PostgresUrl.ForPsql(ConnectionString);

    public static string Home => Environment.GetEnvironmentVariable(HomeVariable) is { Length: > 0 } home
        ? Path.GetFullPath(home)
        : Path.Combine(Directory.GetCurrentDirectory(), ".rnnsweep");

    /// <summary>The private PostgreSQL's folder.</summary>
    public static string LocalDataDir => Path.Combine(Home, "postgres");

    /// <summary>The configured database (RNNSWEEP_CONNECTION or appsettings.json) as an Npgsql connection string; null when none is.</summary>
    public static string? Configured() => DatabaseSettings.Resolve(new ConfigurationBuilder()
        .SetBasePath(AppContext.BaseDirectory).AddJsonFile("appsettings.json", optional: true).Build());

    /// <param name="keepLocalServerRunning">
    /// Leave the private server running if this command starts it ('rnnsweep db start'); otherwise a command stops
    /// the server it started when it ends, and leaves one it found running (a serving sweep's, or 'db start's) alone.
    /// </param>
    public static async Task<Connection> OpenAsync(bool keepLocalServerRunning, CancellationToken ct)
    {
        var configured = Configured();
        if (!string.IsNullOrWhiteSpace(configured)) return new Connection(configured, null);

        var dataDir = LocalDataDir;
        var created = !File.Exists(Path.Combine(dataDir, "PG_VERSION"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (created)
        {
            Console.Error.WriteLine($"Creating the private PostgreSQL database in {dataDir} (first run; {DatabaseSettings.EnvironmentVariable} names another)...");
        }
        // Not cancelled half-way (a few seconds at most): Ctrl+C during pg_ctl start would leave a server no one stops.
        var local = await LocalPostgres.StartAsync(dataDir, CancellationToken.None);
        var connection = new Connection(local.ConnectionString, local, stopOnDispose: !keepLocalServerRunning);
        if (created)
        {
            // A new private database gets its tables at once, so 'rnnsweep status' on a first run says "no sweeps yet".
            await using var db = DatabaseSettings.CreateContext(local.ConnectionString);
            await db.Database.MigrateSchemaAsync(CancellationToken.None);
            Console.Error.WriteLine($"Created the private PostgreSQL database ({clock.Elapsed.TotalSeconds:0} s).");
        }
        if (ct.IsCancellationRequested)
        {
            await connection.DisposeAsync();
            ct.ThrowIfCancellationRequested();
        }
        return connection;
    }

    /// <summary>Stops the private server if this command started it and should not leave it running.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_local is not null && _stopOnDispose) await _local.DisposeAsync();
        _local = null;
    }
}
