using System.Diagnostics;
using System.Net;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Database;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Cluster;

/// <summary>The probes a cluster uses: the Orchestrator's HTTP endpoints and the Worker's heartbeat file.</summary>
public sealed class HealthTests(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Orchestrator_IsLiveAndReady_WithItsDatabaseMigrated()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateEmptyDatabaseAsync());
        using var live = await host.Http.GetAsync("/healthz");
        using var ready = await host.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Orchestrator_IsNotReady_WhenItsDatabaseIsGone()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var host = await OrchestratorHost.StartAsync(connection);
        await using (var admin = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(connection) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            await admin.OpenAsync();
            var name = new Npgsql.NpgsqlConnectionStringBuilder(connection).Database;
            await using var drop = new Npgsql.NpgsqlCommand($"drop database {name} with (force)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        using var ready = await host.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var live = await host.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode); // alive, so not restarted in a loop while the database is away
    }

    [Fact]
    [Trait("Category", "WorkerProcess")]
    public async Task WorkerProbe_IsHealthyWhileTheWorkerRuns_AndNotAfterItDies()
    {
        var file = Path.Combine(TestPaths.Home, $"health-{Guid.NewGuid():N}");
        var settings = new Dictionary<string, string> { ["Worker__Health__File"] = file, ["Worker__Health__Interval"] = "00:00:01", ["Worker__Health__MaxAge"] = "00:00:06" }; // slack for a loaded machine
        var worker = WorkerProcess.Start(await postgres.CreateEmptyDatabaseAsync(), "probed", settings);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!File.Exists(file) && DateTime.UtcNow < deadline) await Task.Delay(200);
            await Task.Delay(1500);
            Assert.Equal(0, await ProbeAsync(settings, "live"));
            Assert.Equal(0, await ProbeAsync(settings, "ready"));

            worker.Signal("KILL");
            await worker.WaitForExitAsync(TimeSpan.FromSeconds(10));
            await Task.Delay(TimeSpan.FromSeconds(7)); // older than MaxAge
            Assert.Equal(1, await ProbeAsync(settings, "live"));
        }
        finally
        {
            worker.WriteTo(output);
            await worker.DisposeAsync();
            File.Delete(file);
        }
    }

    private static async Task<int> ProbeAsync(Dictionary<string, string> settings, string mode)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(TestPaths.WorkerDll);
        psi.ArgumentList.Add("--health");
        psi.ArgumentList.Add(mode);
        foreach (var (key, value) in settings) psi.Environment[key] = value;
        psi.Environment.Remove(DatabaseSettings.EnvironmentVariable);
        using var probe = Process.Start(psi)!;
        await probe.StandardOutput.ReadToEndAsync();
        await probe.WaitForExitAsync();
        return probe.ExitCode;
    }
}
