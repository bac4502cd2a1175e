using System.CommandLine;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.Cli;

/// <summary>
/// <c>rnnsweep db start|stop|status</c>: the private PostgreSQL in <c>$RNNSWEEP_HOME/postgres</c>. Commands start it
/// when they need it and stop it when they end; 'db start' keeps it running between commands (faster, and for psql).
/// </summary>
public static class DbCommand
{
    public static Command Create()
    {
        var db = new Command("db", """
            The private PostgreSQL that RnnSweep runs in .rnnsweep/postgres when RNNSWEEP_CONNECTION is not set.
            Each command starts it when needed and stops it again when it ends (unless it was already running);
            'rnnsweep db start' keeps it running for the next commands and for psql, 'rnnsweep db stop' stops it.
            Examples:
              rnnsweep db status
              rnnsweep db start      then: psql postgresql://rnnsweep@127.0.0.1:PORT/rnnsweep
              rnnsweep db stop
            """);
        db.Subcommands.Add(Sub("start", "Start the private PostgreSQL (and apply migrations) and keep it running", StartAsync));
        db.Subcommands.Add(Sub("stop", "Stop the private PostgreSQL if it runs", StopAsync));
        db.Subcommands.Add(Sub("status", "Say which database the commands use, and whether the private one runs", StatusAsync));
        return db;
    }

    private static Command Sub(string name, string description, Func<CancellationToken, Task<int>> act)
    {
        var command = new Command(name, description);
        command.SetAction((_, ct) => act(ct));
        return command;
    }

    private static async Task<int> StartAsync(CancellationToken ct)
    {
        if (NotManaged()) return 1;
        WorkerAllocator.Validate(); // the server's allocator follows it; a wrong value is an error even when it runs already
        await using var connection = await Connection.OpenAsync(keepLocalServerRunning: true, ct);
        await using (var context = DatabaseSettings.CreateContext(connection.ConnectionString))
        {
            await context.Database.MigrateSchemaAsync(ct);
        }
        var local = connection.Local!;
        Console.WriteLine(local.StartedHere
            ? $"Started the private PostgreSQL in {local.DataDir} on port {local.Port}; it keeps running until 'rnnsweep db stop'."
            : $"The private PostgreSQL in {local.DataDir} was already running on port {local.Port}" +
              (Environment.GetEnvironmentVariable(WorkerAllocator.ChoiceVariable) is { Length: > 0 }
                  ? $", with the allocator it started with ('rnnsweep db stop' first for {WorkerAllocator.ChoiceVariable} to apply)."
                  : "."));
        Console.WriteLine($"psql {connection.PsqlTarget}");
        return 0;
    }

    private static async Task<int> StopAsync(CancellationToken ct)
    {
        if (NotManaged()) return 1;
        var dataDir = Connection.LocalDataDir;
        Console.WriteLine(await LocalPostgres.StopRunningAsync(dataDir, ct)
            ? $"Stopped the private PostgreSQL in {dataDir}."
            : $"The private PostgreSQL in {dataDir} is not running.");
        return 0;
    }

    private static Task<int> StatusAsync(CancellationToken ct)
    {
        if (Connection.Configured() is { } configured)
        {
            Console.WriteLine($"Commands use {DatabaseSettings.EnvironmentVariable} (or appsettings.json): psql {PostgresUrl.ForPsql(configured)}");
            return Task.FromResult(0);
        }
        var dataDir = Connection.LocalDataDir;
        Console.WriteLine(LocalPostgres.RunningPort(dataDir) is { } port
            ? $"The private PostgreSQL in {dataDir} runs on port {port}: psql {PostgresUrl.ForPsql(LocalPostgres.ConnectionStringFor(dataDir, port))}"
            : $"The private PostgreSQL in {dataDir} is not running; commands start it when they need it ('rnnsweep db start' keeps it running).");
        return Task.FromResult(0);
    }

    /// <summary>With a configured database there is no private server to manage: say so.</summary>
    private static bool NotManaged()
    {
        if (Connection.Configured() is null) return false;
        Console.Error.WriteLine($"error: {DatabaseSettings.EnvironmentVariable} (or appsettings.json) names the database; RnnSweep starts and stops only its private one");
        return true;
    }
}
