using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.LocalCluster;

/// <summary>
/// A private PostgreSQL server in a folder of its own, on a free loopback port (the one it had last time while that is
/// free), for when no connection
/// string is configured (the README's two commands and the tests). PostgreSQL refuses to run as root,
/// so as root every server command runs as the <c>postgres</c> user.
/// </summary>
/// <remarks>
/// Safe on a shared machine: every connection, TCP or Unix socket, authenticates with a password
/// (scram-sha-256). The passwords are generated on first use and kept in <see cref="PasswordFile"/>, a pgpass file
/// only its owner may read (mode 600), next to the data folder. The application role <see cref="UserName"/> owns
/// its database and may create databases (the tests' and the bench's) but is no superuser, so it cannot run
/// <c>copy ... to program</c> or read the server's files; <see cref="AdminUserName"/> is the superuser, used only
/// here to create roles and databases. A cluster made by an older RnnSweep (trust, application role =
/// superuser) is converted in place on its next start, its data kept.
/// </remarks>
public sealed class LocalPostgres : IAsyncDisposable
{
    public const string DatabaseName = "rnnsweep";
    public const string UserName = "rnnsweep";
    public const string AdminUserName = "rnnsweep_admin";
    /// <summary>The read-only role of the ReaderRole migration; created here because the application role may not create roles.</summary>
    public const string ReaderRole = "rnnsweep_reader";
    /// <summary>The bootstrap superuser of a cluster made before password authentication, renamed and locked.</summary>
    private const string OldBootstrapName = "rnnsweep_bootstrap";

    private readonly string _binDir;
    private bool _ownsServer;
    private readonly bool _fsync;
    private readonly int _maxConnections;

    private LocalPostgres(string dataDir, string binDir, int port, bool ownsServer, bool fsync, int maxConnections)
    {
        DataDir = dataDir;
        _binDir = binDir;
        Port = port;
        _ownsServer = ownsServer;
        _fsync = fsync;
        _maxConnections = maxConnections;
    }

    public string DataDir { get; }
    public int Port { get; private set; }
    /// <summary>The pgpass file holding the generated passwords (owner-only, mode 600): <c>DATADIR.pgpass</c>.</summary>
    public string PasswordFile => PasswordFileOf(DataDir);
    /// <summary>The application role's connection; the password comes from <see cref="PasswordFile"/>, never from the string.</summary>
    public string ConnectionString => ConnectionStringFor(DataDir, Port);

    /// <summary>The application role's connection to the private server of <paramref name="dataDir"/> on <paramref name="port"/>.</summary>
    public static string ConnectionStringFor(string dataDir, int port) =>
        $"Host=127.0.0.1;Port={port};Username={UserName};Database={DatabaseName};Passfile={PasswordFileOf(dataDir)};Include Error Detail=true";
    /// <summary>The superuser's connection (roles, databases); for administrators, not for the application.</summary>
    public string AdminConnectionString => new NpgsqlConnectionStringBuilder(ConnectionString) { Username = AdminUserName, Database = "postgres", Pooling = false }.ConnectionString;
    public string LogFile => Path.Combine(DataDir, "server.log");

    private static string PasswordFileOf(string dataDir) => dataDir.TrimEnd('/') + ".pgpass";

    /// <summary>
    /// Starts the server in <paramref name="dataDir"/> (creating the cluster on first use), or attaches to the
    /// one already running there. The database <see cref="DatabaseName"/> exists when this returns.
    /// </summary>
    /// <param name="fsync">false only for throwaway test clusters: a power cut may then corrupt the data.</param>
    /// <param name="maxConnections">PostgreSQL's <c>max_connections</c> when this call starts the server.</param>
    public static async Task<LocalPostgres> StartAsync(string dataDir, CancellationToken ct = default, bool fsync = true, int maxConnections = 200)
    {
        dataDir = Path.GetFullPath(dataDir);
        var binDir = FindBinDir();
        var knownPasswords = File.Exists(PasswordFileOf(dataDir));
        var passwords = Passwords.LoadOrCreate(PasswordFileOf(dataDir));
        Directory.CreateDirectory(dataDir);
        // why only when none runs: a short command attaching to a running server should not chown -R the whole cluster.
        if (RunningPort(dataDir) is null) ChownToServerUser(dataDir);

        if (!File.Exists(Path.Combine(dataDir, "PG_VERSION")))
        {
            await InitAsync(binDir, dataDir, passwords, ct);
        }

        var running = RunningPort(dataDir);
        var pg = new LocalPostgres(dataDir, binDir, running ?? LastPortIfFree(dataDir) ?? FreePort(), ownsServer: running is null, fsync, maxConnections);
        if (TrustsConnections(dataDir))
        {
            if (running is not null) await pg.StopServerAsync(ct);
            await pg.ConvertTrustClusterAsync(passwords, ct);
        }
        var attached = RunningPort(dataDir) is not null;
        if (!attached)
        {
            await pg.StartServerAsync(ct);
            pg._ownsServer = true;
            await File.WriteAllTextAsync(PortFileOf(dataDir), pg.Port.ToString(CultureInfo.InvariantCulture), ct);
        }
        // why: a running server was started by an earlier command, which made the roles and database with these
        // passwords; checking again costs two password logins, a large share of a short command like 'status'.
        if (!attached || !knownPasswords) await pg.EnsureRolesAndDatabaseAsync(passwords, ct);
        return pg;
    }

    /// <summary>Starts the server again on the same port (after <see cref="StopServerAsync"/>).</summary>
    public Task StartServerAsync(CancellationToken ct = default) => StartServerAsync(listen: true, ct);

    /// <param name="listen">false: the Unix socket in the data folder only (mode 700), while converting an old cluster.</param>
    private Task StartServerAsync(bool listen, CancellationToken ct) =>
        RunAsync(_binDir, "pg_ctl", ["-D", DataDir, "-l", LogFile, "-w", "-t", "60",
            "-o", $"-p {Port} -k {DataDir} -c listen_addresses={(listen ? "127.0.0.1" : "''")} -c max_connections={_maxConnections} -c fsync={(_fsync ? "on" : "off")}" +
                  " -c password_encryption=scram-sha-256", "start"], ct, server: true);

    /// <summary>
    /// Starts the server again (after <see cref="StopServerAsync"/>) inside the network namespace
    /// <paramref name="networkNamespace"/> (<c>ip netns</c>), listening on <paramref name="listenAddress"/> there and on
    /// the Unix socket in the data folder as always: a database on another host, for tests of Workers reaching it over
    /// a network link. pg_hba.conf must admit that network (the caller adds it). Needs root.
    /// </summary>
    public Task StartServerInNamespaceAsync(string networkNamespace, string listenAddress, CancellationToken ct = default) =>
        RunAsync(_binDir, "pg_ctl", ["-D", DataDir, "-l", LogFile, "-w", "-t", "60",
            "-o", $"-p {Port} -k {DataDir} -c listen_addresses={listenAddress} -c max_connections={_maxConnections} -c fsync={(_fsync ? "on" : "off")}" +
                  " -c password_encryption=scram-sha-256", "start"], ct, ["ip", "netns", "exec", networkNamespace], server: true);

    /// <summary>Stops the server (fast shutdown: open connections are cut, as in a database restart).</summary>
    public Task StopServerAsync(CancellationToken ct = default) =>
        RunAsync(_binDir, "pg_ctl", ["-D", DataDir, "-w", "-t", "60", "-m", "fast", "stop"], ct);

    public async ValueTask DisposeAsync()
    {
        if (_ownsServer && RunningPort(DataDir) is not null) await StopServerAsync();
    }

    /// <summary>A new cluster whose superuser has a password from the start: no moment of trust.</summary>
    private static async Task InitAsync(string binDir, string dataDir, Passwords passwords, CancellationToken ct)
    {
        // initdb reads the superuser's password from a file; the server user must be able to read it, nobody else.
        var scratch = dataDir.TrimEnd('/') + ".init";
        Directory.CreateDirectory(scratch);
        var pwfile = Path.Combine(scratch, "pw");
        try
        {
            OwnerOnly(scratch, directory: true);
            await File.WriteAllTextAsync(pwfile, passwords.Admin + "\n", ct);
            OwnerOnly(pwfile);
            if (IsRoot) RunSync("chown", ["-R", "postgres:postgres", scratch]);
            await RunAsync(binDir, "initdb", ["-D", dataDir, "-U", AdminUserName, "--pwfile", pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--no-locale"], ct);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>Mode 600 (700 for a folder): readable by its owner only.</summary>
    private static void OwnerOnly(string path, bool directory = false)
    {
        if (OperatingSystem.IsWindows()) return;
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | (directory ? UnixFileMode.UserExecute : 0));
    }

    private static bool TrustsConnections(string dataDir)
    {
        var hba = Path.Combine(dataDir, "pg_hba.conf");
        return File.Exists(hba) && File.ReadLines(hba).Select(l => l.Split('#')[0].Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Any(fields => fields.Length > 0 && fields[^1] == "trust");
    }

    /// <summary>
    /// A cluster made before password authentication: its bootstrap superuser is the application role and every
    /// local connection is trusted. Over the data folder's Unix socket only (nobody else can reach it): add the
    /// superuser <see cref="AdminUserName"/>, rename the old one out of the way and lock it, give its objects to a
    /// new non-superuser <see cref="UserName"/>, then require passwords.
    /// </summary>
    private async Task ConvertTrustClusterAsync(Passwords passwords, CancellationToken ct)
    {
        await StartServerAsync(listen: false, ct);
        try
        {
            string Socket(string user, string database) => new NpgsqlConnectionStringBuilder
            {
                Host = DataDir, Port = Port, Username = user, Database = database, Pooling = false,
            }.ConnectionString;
            await ExecuteAsync(Socket(UserName, "postgres"), $"""
                do $$ begin
                  if not exists (select from pg_roles where rolname = '{AdminUserName}') then
                    create role {AdminUserName} superuser login;
                  end if;
                end $$;
                """, ct);
            await ExecuteAsync(Socket(AdminUserName, "postgres"), $"""
                do $$ begin
                  if exists (select from pg_roles where rolname = '{UserName}' and oid = 10) then
                    alter role {UserName} rename to {OldBootstrapName};
                  end if;
                end $$;
                alter role {OldBootstrapName} nologin password null;
                """, ct);
            await ExecuteAsync(Socket(AdminUserName, "postgres"), CreateApplicationRoleSql(passwords), ct);
            var databases = await QueryAsync(Socket(AdminUserName, "postgres"),
                $"select datname from pg_database where datdba = '{OldBootstrapName}'::regrole and datname not in ('postgres', 'template0', 'template1')", ct);
            foreach (var database in databases)
            {
                await ExecuteAsync(Socket(AdminUserName, "postgres"), $"alter database \"{database}\" owner to {UserName}", ct);
                await ExecuteAsync(Socket(AdminUserName, database), GiveObjectsSql(OldBootstrapName, UserName) +
                    // the reader's default grants were the old owner's: new tables are now created by the application role
                    $"alter default privileges for role {UserName} in schema public grant select on tables to {ReaderRole};", ct);
            }
            await File.WriteAllTextAsync(Path.Combine(DataDir, "pg_hba.conf"), PasswordHba, ct);
        }
        finally
        {
            await StopServerAsync(ct);
        }
    }

    /// <summary>pg_hba.conf of every cluster: passwords on the Unix socket and on loopback, nothing else.</summary>
    private const string PasswordHba = """
        # Written by RnnSweep: every connection authenticates with a password (scram-sha-256).
        local   all   all                  scram-sha-256
        host    all   all   127.0.0.1/32   scram-sha-256
        host    all   all   ::1/128        scram-sha-256

        """;

    private static string CreateApplicationRoleSql(Passwords passwords) => $"""
        do $$ begin
          if not exists (select from pg_roles where rolname = '{UserName}') then
            create role {UserName} login nosuperuser createdb nocreaterole noreplication nobypassrls;
          end if;
          if not exists (select from pg_roles where rolname = '{ReaderRole}') then
            create role {ReaderRole} nologin;
          end if;
        end $$;
        alter role {UserName} nosuperuser createdb nocreaterole noreplication nobypassrls password '{passwords.Application}';
        alter role {AdminUserName} password '{passwords.Admin}';
        grant {ReaderRole} to {UserName} with admin option;
        """;

    /// <summary>Hands every object of the current database owned by one role to another (REASSIGN OWNED refuses the bootstrap superuser).</summary>
    private static string GiveObjectsSql(string from, string to) => $$"""
        do $$
        declare r record;
        begin
          for r in select nspname from pg_namespace where nspowner = '{{from}}'::regrole
                   and nspname not like 'pg\_%' and nspname <> 'information_schema' loop
            execute format('alter schema %I owner to {{to}}', r.nspname);
          end loop;
          for r in select n.nspname, c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
                   where c.relowner = '{{from}}'::regrole and c.relkind in ('r', 'p', 'v', 'm', 'f')
                   and n.nspname not like 'pg\_%' and n.nspname <> 'information_schema' loop
            execute format('alter %s %I.%I owner to {{to}}',
              case r.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table' else 'table' end,
              r.nspname, r.relname);
          end loop;
          -- after the tables: sequences owned by a table's column have followed it already
          for r in select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                   where c.relowner = '{{from}}'::regrole and c.relkind = 'S'
                   and n.nspname not like 'pg\_%' and n.nspname <> 'information_schema' loop
            execute format('alter sequence %I.%I owner to {{to}}', r.nspname, r.relname);
          end loop;
          for r in select p.oid::regprocedure as routine from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                   where p.proowner = '{{from}}'::regrole and n.nspname not like 'pg\_%' and n.nspname <> 'information_schema' loop
            execute format('alter routine %s owner to {{to}}', r.routine);
          end loop;
          for r in select t.oid::regtype as type from pg_type t join pg_namespace n on n.oid = t.typnamespace
                   where t.typowner = '{{from}}'::regrole and t.typtype in ('e', 'd', 'r')
                   and n.nspname not like 'pg\_%' and n.nspname <> 'information_schema' loop
            execute format('alter type %s owner to {{to}}', r.type);
          end loop;
        end $$;
        """;

    /// <summary>The roles (idempotent: their passwords follow <see cref="PasswordFile"/>) and the application's database.</summary>
    private async Task EnsureRolesAndDatabaseAsync(Passwords passwords, CancellationToken ct)
    {
        await ExecuteAsync(AdminConnectionString, CreateApplicationRoleSql(passwords), ct);
        var exists = await QueryAsync(AdminConnectionString, $"select datname from pg_database where datname = '{DatabaseName}'", ct);
        if (exists.Count == 0) await ExecuteAsync(AdminConnectionString, $"create database {DatabaseName} owner {UserName}", ct);
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, conn);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<List<string>> QueryAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, conn);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<string>();
        while (await reader.ReadAsync(ct)) rows.Add(reader.GetString(0));
        return rows;
    }

    /// <summary>
    /// The generated passwords, as a pgpass file (libpq's and Npgsql's <c>Passfile</c> format) readable by its owner
    /// only. Letters and digits only, so they need no quoting in SQL or in the file.
    /// </summary>
    private sealed record Passwords(string Admin, string Application)
    {
        public static Passwords LoadOrCreate(string file)
        {
            if (File.Exists(file))
            {
                // One line per host (127.0.0.1, localhost) for each role: the first line of a role gives its password.
                var byUser = File.ReadAllLines(file).Select(l => l.Split(':')).Where(f => f.Length == 5)
                    .GroupBy(f => f[3]).ToDictionary(g => g.Key, g => g.First()[4]);
                if (byUser.TryGetValue(AdminUserName, out var admin) && byUser.TryGetValue(UserName, out var app)) return new Passwords(admin, app);
            }
            var created = new Passwords(Generate(), Generate());
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var temp = file + ".tmp";
            File.WriteAllText(temp, "");
            OwnerOnly(temp); // before the passwords are in it
            using (var writer = new StreamWriter(temp))
            {
                foreach (var host in new[] { "127.0.0.1", "localhost" })
                {
                    writer.Write($"{host}:*:*:{UserName}:{created.Application}\n{host}:*:*:{AdminUserName}:{created.Admin}\n");
                }
            }
            OwnerOnly(temp);
            File.Move(temp, file, overwrite: true);
            return created;
        }

        private static string Generate() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
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

    /// <summary>
    /// Where the port of the server's last start is kept. Why: the psql address a command prints (and a user saves)
    /// stays right across 'db stop' and the next start, where a new free port each time made it refuse connections.
    /// </summary>
    private static string PortFileOf(string dataDir) => dataDir.TrimEnd('/') + ".port";

    /// <summary>The port of the server's last start, if nothing listens on it now; null otherwise or when unknown.</summary>
    private static int? LastPortIfFree(string dataDir)
    {
        if (!File.Exists(PortFileOf(dataDir)) || !int.TryParse(File.ReadAllText(PortFileOf(dataDir)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1024 or > 65535) return null;
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return port;
        }
        catch (SocketException)
        {
            return null;                                                                    // taken: a new free port
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

    /// <param name="prefix">A command the tool runs under (e.g. <c>ip netns exec NAME</c>).</param>
    /// <param name="server">The command starts the server: it gets the server's allocator (<see cref="WorkerAllocator.ServerSettings"/>).</param>
    private static async Task RunAsync(string binDir, string tool, string[] args, CancellationToken ct, string[]? prefix = null, bool server = false)
    {
        var exe = Path.Combine(binDir, tool);
        var (file, argv) = IsRoot ? ("runuser", (string[])["-u", "postgres", "--", exe, .. args]) : (exe, args);
        if (prefix is { Length: > 0 }) (file, argv) = (prefix[0], [.. prefix[1..], file, .. argv]);
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var a in argv) psi.ArgumentList.Add(a);
        if (server) WorkerAllocator.Apply(psi, server: true);
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
