using System.Diagnostics;
using Npgsql;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.Tests.Api;

/// <summary>
/// The private PostgreSQL on a shared machine: another OS user cannot connect without the generated password, cannot
/// read the password file, and the application role is no superuser. Needs root (to act as <c>nobody</c>).
/// </summary>
[Collection(DatabaseCollection.Name)]
// Slow: each test starts a private PostgreSQL server of its own.
[Trait("Category", "Slow")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PrivateDatabaseTests(PostgresFixture postgres)
{
    private const string OtherUser = "nobody";

    [Theory]
    [InlineData(LocalPostgres.UserName, null)]
    [InlineData(LocalPostgres.UserName, "wrong-password")]
    [InlineData(LocalPostgres.AdminUserName, null)]
    [InlineData(LocalPostgres.AdminUserName, "rnnsweep")]
    public async Task AnotherOsUser_CannotConnect_WithoutThePassword(string role, string? password)
    {
        Assert.Equal("root", Environment.UserName); // runuser needs root; the suite runs as root (PostgreSQL as postgres)
        var server = postgres.Server;
        var env = new Dictionary<string, string?> { ["PGPASSWORD"] = password, ["PGPASSFILE"] = "/dev/null", ["PGCONNECT_TIMEOUT"] = "10" };

        // Over TCP on loopback, where any local user can reach the port.
        var (tcpExit, tcpOutput) = await RunAsAsync(OtherUser, env, "psql", "-w", "-X",
            $"host=127.0.0.1 port={server.Port} user={role} dbname={LocalPostgres.DatabaseName}", "-c", "select 1");
        Assert.NotEqual(0, tcpExit);
        Assert.Contains(password is null ? "no password supplied" : "password authentication failed", tcpOutput, StringComparison.Ordinal);

        // Over the Unix socket in the data folder, which only the server's user may enter.
        var (socketExit, socketOutput) = await RunAsAsync(OtherUser, env, "psql", "-w", "-X",
            $"host={server.DataDir} port={server.Port} user={role} dbname={LocalPostgres.DatabaseName}", "-c", "select 1");
        Assert.NotEqual(0, socketExit);
        Assert.Contains("Permission denied", socketOutput, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AnotherOsUser_CannotReadThePasswordFile_AndItsOwnerConnectsWithIt()
    {
        var server = postgres.Server;
        var mode = File.GetUnixFileMode(server.PasswordFile);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);

        var (exit, output) = await RunAsAsync(OtherUser, new Dictionary<string, string?>(), "cat", server.PasswordFile);
        Assert.NotEqual(0, exit);
        Assert.Contains("Permission denied", output, StringComparison.Ordinal);

        // The owner (this process) connects with nothing but the file, as the CLI and the Workers do.
        await using var conn = new NpgsqlConnection(server.ConnectionString);
        await conn.OpenAsync();
        Assert.DoesNotContain("Password=", server.ConnectionString, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ApplicationRole_OwnsItsDatabase_ButIsNoSuperuser_AndCannotCopyToProgram()
    {
        var server = postgres.Server;
        await using var conn = new NpgsqlConnection(server.ConnectionString);
        await conn.OpenAsync();

        Assert.Equal(false, await ScalarAsync(conn, "select rolsuper from pg_roles where rolname = current_user"));
        Assert.Equal(LocalPostgres.UserName, await ScalarAsync(conn, "select pg_get_userbyid(datdba) from pg_database where datname = current_database()"));

        foreach (var sql in new[]
                 {
                     "copy (select 1) to program 'id'",
                     "copy (select 1) to '/tmp/rnnsweep-copy-test'",
                     "select pg_read_file('pg_hba.conf')",
                     "alter system set fsync = off",
                     "create role intruder superuser",
                 })
        {
            await using var command = new NpgsqlCommand(sql, conn);
            var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }
    }

    /// <summary>The README's steps: the owner creates a login role in rnnsweep_reader with psql and the pgpass file; a colleague reads with it.</summary>
    [Fact]
    public async Task ReaderRole_IsUsableAsTheReadmeSays()
    {
        var server = postgres.Server;
        var database = new NpgsqlConnectionStringBuilder(await postgres.CreateEmptyDatabaseAsync()).Database!;
        await using (await OrchestratorHost.StartAsync(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database }.ConnectionString)) { } // migrated
        var alice = $"alice{Guid.NewGuid():N}"[..16];
        var owner = new Dictionary<string, string?> { ["PGPASSFILE"] = server.PasswordFile };
        (await RunAsAsync("root", owner, "psql", "-w", "-X", $"postgresql://{LocalPostgres.AdminUserName}@127.0.0.1:{server.Port}/{database}",
            "-c", $"create role {alice} login password 'her-own' in role {LocalPostgres.ReaderRole}")).AssertSucceeded();
        try
        {
            var colleague = new Dictionary<string, string?> { ["PGPASSWORD"] = "her-own", ["PGPASSFILE"] = "/dev/null" };
            var uri = $"postgresql://{alice}@127.0.0.1:{server.Port}/{database}";
            var (readExit, readOutput) = await RunAsAsync(OtherUser, colleague, "psql", "-w", "-X", "-tA", uri, "-c", "select count(*) from runs");
            Assert.True(readExit == 0, readOutput);
            Assert.Equal("0", readOutput.Trim());
            var (writeExit, writeOutput) = await RunAsAsync(OtherUser, colleague, "psql", "-w", "-X", uri, "-c", "delete from runs");
            Assert.NotEqual(0, writeExit);
            Assert.Contains("permission denied", writeOutput, StringComparison.Ordinal);
        }
        finally
        {
            await ExecuteAsync(server.AdminConnectionString, $"drop role {alice}");
        }
    }

    [Fact]
    public async Task NewServer_RunsWithFsync_AndPasswordsOnEveryLine()
    {
        var dir = Path.Combine(TestPaths.Home, $"test-pg-fsync-{Guid.NewGuid():N}"[..40]);
        await using (var server = await LocalPostgres.StartAsync(dir))
        {
            await using var conn = new NpgsqlConnection(server.ConnectionString);
            await conn.OpenAsync();
            Assert.Equal("on", await ScalarAsync(conn, "show fsync"));
            var hba = (await File.ReadAllLinesAsync(Path.Combine(dir, "pg_hba.conf")))
                .Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0).ToList();
            Assert.NotEmpty(hba);
            Assert.All(hba, line => Assert.EndsWith("scram-sha-256", line, StringComparison.Ordinal));
        }
        Cleanup(dir);
    }

    /// <summary>
    /// The psql address a command printed stays right after the server is stopped and started again: it comes back on
    /// the same port while that is free, and on another one when something else holds it.
    /// </summary>
    [Fact]
    public async Task RestartedServer_KeepsItsPort_UnlessItIsTaken()
    {
        var dir = Path.Combine(TestPaths.Home, $"test-pg-port-{Guid.NewGuid():N}"[..40]);
        int first;
        await using (var server = await LocalPostgres.StartAsync(dir)) first = server.Port;
        Assert.Null(LocalPostgres.RunningPort(dir));                                        // stopped by its owner
        await using (var again = await LocalPostgres.StartAsync(dir))
        {
            Assert.Equal(first, again.Port);
            await using var conn = new NpgsqlConnection(again.ConnectionString);
            await conn.OpenAsync();
        }
        using (var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, first))
        {
            squatter.Start();
            await using var moved = await LocalPostgres.StartAsync(dir);
            Assert.NotEqual(first, moved.Port);
            await using var conn = new NpgsqlConnection(moved.ConnectionString);
            await conn.OpenAsync();
        }
        Cleanup(dir);
    }

    /// <summary>A cluster made by an older RnnSweep (trust, application role = bootstrap superuser) is converted, its data kept.</summary>
    [Fact]
    public async Task OldTrustCluster_IsConverted_AndKeepsItsData()
    {
        var dir = Path.Combine(TestPaths.Home, $"test-pg-old-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(dir);
        (await RunAsAsync("root", new Dictionary<string, string?>(), "chown", "postgres:postgres", dir)).AssertSucceeded();
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).First(d => File.Exists(Path.Combine(d, "initdb")));
        (await RunAsAsync("postgres", new Dictionary<string, string?>(), Path.Combine(bin, "initdb"), "-D", dir, "-U", "rnnsweep", "--auth=trust", "-E", "UTF8", "--no-locale")).AssertSucceeded();
        var port = 20000 + Random.Shared.Next(20000);
        (await RunAsAsync("postgres", new Dictionary<string, string?>(), Path.Combine(bin, "pg_ctl"), "-D", dir, "-l", Path.Combine(dir, "server.log"), "-w",
            "-o", $"-p {port} -k {dir} -c listen_addresses=127.0.0.1", "start")).AssertSucceeded();
        var old = $"Host=127.0.0.1;Port={port};Username=rnnsweep;Database=postgres;Pooling=false";
        await ExecuteAsync(old, "create database rnnsweep");
        await ExecuteAsync(new NpgsqlConnectionStringBuilder(old) { Database = "rnnsweep" }.ConnectionString,
            "create schema hangfire; create table hangfire.job (id bigserial primary key); create table kept (id int generated always as identity, note text); insert into kept (note) values ('weeks of results')");

        await using (var server = await LocalPostgres.StartAsync(dir)) // finds it running: stops, converts, starts
        {
            await using var conn = new NpgsqlConnection(server.ConnectionString);
            await conn.OpenAsync();
            Assert.Equal("weeks of results", await ScalarAsync(conn, "select note from kept"));
            Assert.Equal(false, await ScalarAsync(conn, "select rolsuper from pg_roles where rolname = current_user"));
            await using (var insert = new NpgsqlCommand("insert into kept (note) values ('more'); insert into hangfire.job default values", conn)) await insert.ExecuteNonQueryAsync();
            await using var copy = new NpgsqlCommand("copy (select 1) to program 'id'", conn);
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, (await Assert.ThrowsAsync<PostgresException>(() => copy.ExecuteNonQueryAsync())).SqlState);
            // The trust it had is gone: no password, no connection.
            await using var trusting = new NpgsqlConnection($"Host=127.0.0.1;Port={server.Port};Username=rnnsweep;Database=rnnsweep;Pooling=false;Passfile=/dev/null");
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => trusting.OpenAsync());
        }
        Cleanup(dir);
    }

    private static void Cleanup(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
            File.Delete(dir + ".pgpass");
            File.Delete(dir + ".port");
        }
        catch (IOException) { }
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection conn, string sql)
    {
        await using var command = new NpgsqlCommand(sql, conn);
        return await command.ExecuteScalarAsync();
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var command = new NpgsqlCommand(sql, conn);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<(int Exit, string Output)> RunAsAsync(string user, Dictionary<string, string?> env, string file, params string[] args)
    {
        var psi = new ProcessStartInfo("runuser") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = "/" };
        foreach (var a in (string[])["-u", user, "--", file, .. args]) psi.ArgumentList.Add(a);
        psi.Environment.Remove("PGPASSWORD");
        foreach (var (key, value) in env) psi.Environment[key] = value;
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}

internal static class ProcessResultExtensions
{
    public static void AssertSucceeded(this (int Exit, string Output) result) => Assert.True(result.Exit == 0, result.Output);
}
