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

    private Connection(string connectionString, LocalPostgres? local)
    {
        ConnectionString = connectionString;
        _local = local;
    }

    public string ConnectionString { get; }
    public bool IsLocal => _local is not null;

    public static string Home => Environment.GetEnvironmentVariable(HomeVariable) is { Length: > 0 } home
        ? Path.GetFullPath(home)
        : Path.Combine(Directory.GetCurrentDirectory(), ".rnnsweep");

    public static async Task<Connection> OpenAsync(bool keepLocalServerRunning, CancellationToken ct)
    {
        var configured = DatabaseSettings.FromEnvironment() ?? new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory).AddJsonFile("appsettings.json", optional: true).Build()
            .GetConnectionString(DatabaseSettings.ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(configured)) return new Connection(configured, null);

        var local = await LocalPostgres.StartAsync(Path.Combine(Home, "postgres"), ct);
        return new Connection(local.ConnectionString, keepLocalServerRunning ? null : local);
    }

    /// <summary>Stops the private server if this command started it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_local is not null) await _local.DisposeAsync();
        _local = null;
    }
}
