using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace RnnSweep.Shared.Database;

/// <summary>
/// A private PostgreSQL server in a folder of its own, on a free loopback port, for when no connection
/// string is configured (the README's two commands and the tests). PostgreSQL refuses to run as root,
/// so as root every server command runs as the <c>postgres</c> user.
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    public const string DatabaseName = "rnnsweep";
    public const string UserName = "rnnsweep";

    private readonly string _binDir;
    private readonly bool _ownsServer;

    private LocalPostgres(string dataDir, string binDir, int port, bool ownsServer)
    {
        DataDir = dataDir;
        _binDir = binDir;
        Port = port;
        _ownsServer = ownsServer;
    }

    public string DataDir { get; }
    public int Port { get; private set; }
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username={UserName};Database={DatabaseName};Include Error Detail=true";
    /// <summary>The same server as a libpq URI, for psql.</summary>
    public string PsqlUri => $"postgresql://{UserName}@127.0.0.1:{Port}/{DatabaseName}";
    public string LogFile => Path.Combine(DataDir, "server.log");

    /// <summary>
    /// Starts the server in <paramref name="dataDir"/> (creating the cluster on first use), or attaches to the
    /// one already running there. The database <see cref="DatabaseName"/> exists when this returns.
    /// </summary>
    public static async Task<LocalPostgres> StartAsync(string dataDir, CancellationToken ct = default)
    {
        dataDir = Path.GetFullPath(dataDir);
        var binDir = FindBinDir();
        Directory.CreateDirectory(dataDir);
        // why only when none runs: a short command attaching to a running server should not chown -R the whole cluster.
        if (RunningPort(dataDir) is null) ChownToServerUser(dataDir);

        if (!File.Exists(Path.Combine(dataDir, "PG_VERSION")))
        {
            await RunAsync(binDir, "initdb", ["-D", dataDir, "-U", UserName, "--auth=trust", "-E", "UTF8", "--no-locale"], ct);
        }

        var running = RunningPort(dataDir);
        var pg = new LocalPostgres(dataDir, binDir, running ?? FreePort(), ownsServer: running is null);
        if (running is null) await pg.StartServerAsync(ct);
        await pg.EnsureDatabaseAsync(ct);
        return pg;
    }

    /// <summary>Starts the server again on the same port (after <see cref="StopServerAsync"/>).</summary>
    public Task StartServerAsync(CancellationToken ct = default) =>
        RunAsync(_binDir, "pg_ctl", ["-D", DataDir, "-l", LogFile, "-w", "-t", "60",
            "-o", $"-p {Port} -k {DataDir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off", "start"], ct);

    /// <summary>Stops the server (fast shutdown: open connections are cut, as in a database restart).</summary>
    public Task StopServerAsync(CancellationToken ct = default) =>
        RunAsync(_binDir, "pg_ctl", ["-D", DataDir, "-w", "-t", "60", "-m", "fast", "stop"], ct);

    public async ValueTask DisposeAsync()
    {
        if (_ownsServer && RunningPort(DataDir) is not null) await StopServerAsync();
    }

    private async Task EnsureDatabaseAsync(CancellationToken ct)
    {
        var admin = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        await using var conn = new NpgsqlConnection(admin);
        await conn.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = @name", conn);
        exists.Parameters.AddWithValue("name", DatabaseName);
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand($"create database {DatabaseName}", conn);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Whether this object started the server (and so stops it when disposed), rather than finding it running.</summary>
    public bool StartedHere => _ownsServer;

    /// <summary>Stops the server running on <paramref name="dataDir"/>, if one is; returns whether one was.</summary>
    public static async Task<bool> StopRunningAsync(string dataDir, CancellationToken ct = default)
    {
        dataDir = Path.GetFullPath(dataDir);
        if (RunningPort(dataDir) is null) return false;
        await RunAsync(FindBinDir(), "pg_ctl", ["-D", dataDir, "-w", "-t", "60", "-m", "fast", "stop"], ct);
        return true;
    }

    /// <summary>The port of a server already running on this data directory, from its postmaster.pid; null when none runs.</summary>
    public static int? RunningPort(string dataDir)
    {
        var pidFile = Path.Combine(dataDir, "postmaster.pid");
        if (!File.Exists(pidFile)) return null;
        var lines = File.ReadAllLines(pidFile);
        if (lines.Length < 4 || !int.TryParse(lines[0], out var pid) || !int.TryParse(lines[3], out var port)) return null;
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : port;
        }
        catch (ArgumentException)
        {
            return null; // stale pid file from a killed server: pg_ctl start cleans it up
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindBinDir()
    {
        // Debian and Ubuntu keep the server binaries out of PATH, one folder per major version.
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => (dir: d, version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1))
                .Where(x => x.version > 0 && File.Exists(Path.Combine(x.dir, "bin", "pg_ctl")))
                .OrderByDescending(x => x.version)
                .FirstOrDefault();
            if (newest.dir is not null) return Path.Combine(newest.dir, "bin");
        }
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "pg_ctl")) && File.Exists(Path.Combine(d, "initdb")));
        return onPath ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin or on PATH. " +
            "Install them (apt-get install postgresql) or set " + DatabaseSettings.EnvironmentVariable + " to a server's connection string.");
    }

    private static bool IsRoot => Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root";

    private static void ChownToServerUser(string dataDir)
    {
        if (!IsRoot) return;
        RunSync("chown", ["-R", "postgres:postgres", dataDir]);
        RunSync("chmod", ["700", dataDir]);
        // The server user must be able to reach its folder: make the parents traversable (not readable).
        for (var dir = Path.GetDirectoryName(dataDir); dir is not null and not "/"; dir = Path.GetDirectoryName(dir))
        {
            RunSync("chmod", ["o+x", dir]);
        }
    }

    private static async Task RunAsync(string binDir, string tool, string[] args, CancellationToken ct)
    {
        var exe = Path.Combine(binDir, tool);
        var (file, argv) = IsRoot ? ("runuser", (string[])["-u", "postgres", "--", exe, .. args]) : (exe, args);
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var a in argv) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {tool}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed with exit code {process.ExitCode}: {await stderr}{await stdout}");
        }
    }

    private static void RunSync(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        process.WaitForExit();
    }
}
