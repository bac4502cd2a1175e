using Microsoft.Extensions.Configuration;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.Cli;

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
    /// <summary>How to reach the database with psql.</summary>
    public string PsqlTarget => _local?.PsqlUri ?? PostgresUrl.ForPsql(ConnectionString);

    public static string Home => Environment.GetEnvironmentVariable(HomeVariable) is { Length: > 0 } home
        ? Path.GetFullPath(home)
        : Path.Combine(Directory.GetCurrentDirectory(), ".rnnsweep");

    public static async Task<Connection> OpenAsync(bool keepLocalServerRunning, CancellationToken ct)
    {
        var configured = DatabaseSettings.Resolve(new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory).AddJsonFile("appsettings.json", optional: true).Build());
        if (!string.IsNullOrWhiteSpace(configured)) return new Connection(configured, null);

        // Not cancelled half-way (a few seconds at most): Ctrl+C during pg_ctl start would leave a server no one stops.
        var local = await LocalPostgres.StartAsync(Path.Combine(Home, "postgres"), CancellationToken.None);
        var connection = new Connection(local.ConnectionString, local, stopOnDispose: !keepLocalServerRunning);
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
