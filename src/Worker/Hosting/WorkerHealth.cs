using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using TorchSharp;

namespace RnnSweep.Worker.Hosting;

/// <summary>Where and how often the Worker writes its heartbeat (env: <c>Worker__Health__File</c>).</summary>
public sealed class WorkerHealthOptions
{
    public const string Section = "Worker:Health";
    public const string DefaultFile = "/tmp/rnnsweep-worker-health";

    public string File { get; set; } = DefaultFile;
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>A heartbeat older than this means the process is stuck or gone.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>One heartbeat, as written to the health file.</summary>
public sealed record WorkerHeartbeat(DateTimeOffset At, string Name, string Device, string[] Queues, bool Database, string? Error);

/// <summary>
/// The Worker's liveness and readiness without an HTTP server (no ASP.NET in the Worker): a hosted service writes a
/// heartbeat file every few seconds, and <c>RnnSweep.Worker --health [live|ready]</c> (a Kubernetes exec probe)
/// exits 0 when it is fresh (live) and the last database check passed (ready), else 1.
/// </summary>
public sealed class WorkerHealth(WorkerHealthOptions health, WorkerOptions worker, TorchDevice device, string connectionString,
    TimeProvider clock, ILogger<WorkerHealth> logger) : BackgroundService
{
    public const string ProbeFlag = "--health";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var checkConnection = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Timeout = 3, CommandTimeout = 3, Pooling = false, ApplicationName = $"rnnsweep-worker-health {worker.Name}",
        }.ConnectionString;
        using var timer = new PeriodicTimer(health.Interval, clock);
        do
        {
            string? error = null;
            try
            {
                await using var connection = new NpgsqlConnection(checkConnection);
                await connection.OpenAsync(stoppingToken);
                await using var command = new NpgsqlCommand("select 1", connection);
                await command.ExecuteScalarAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                error = e.Message;
            }
            var beat = new WorkerHeartbeat(clock.GetUtcNow(), worker.Name, DeviceName(device), worker.Queues, error is null, error);
            try
            {
                Write(health.File, beat);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(e, "Could not write the health file {File}", health.File);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public static void Write(string path, WorkerHeartbeat beat)
    {
        // Written beside and moved over the name, so a probe never reads half a file.
        var temp = $"{path}.{Environment.ProcessId}.tmp"; // per process: several local workers may share one health file
        System.IO.File.WriteAllText(temp, JsonSerializer.Serialize(beat, Shared.Json.JsonContract.Options));
        System.IO.File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// The exec probe: reads the heartbeat and returns the exit code (0 healthy, 1 not), printing why.
    /// <c>live</c> (the default) asks only for a fresh heartbeat; <c>ready</c> also for a reachable database.
    /// Does not touch TorchSharp or the database, so it starts fast and stays cheap.
    /// </summary>
    public static int Probe(string[] args, WorkerHealthOptions options, TimeProvider clock, TextWriter output)
    {
        var mode = args.SkipWhile(a => a != ProbeFlag).Skip(1).FirstOrDefault() ?? "live";
        if (mode is not ("live" or "ready"))
        {
            output.WriteLine($"unhealthy: {ProbeFlag} takes 'live' or 'ready', not '{mode}'");
            return 1;
        }
        WorkerHeartbeat? beat;
        try
        {
            beat = JsonSerializer.Deserialize<WorkerHeartbeat>(System.IO.File.ReadAllText(options.File), Shared.Json.JsonContract.Options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            output.WriteLine($"unhealthy: no readable heartbeat in {options.File} ({e.Message})");
            return 1;
        }
        if (beat is null)
        {
            output.WriteLine($"unhealthy: {options.File} is empty");
            return 1;
        }
        var age = clock.GetUtcNow() - beat.At;
        if (age > options.MaxAge)
        {
            output.WriteLine($"unhealthy: last heartbeat {age.TotalSeconds:F0}s ago (more than {options.MaxAge.TotalSeconds:F0}s)");
            return 1;
        }
        if (mode == "ready" && !beat.Database)
        {
            output.WriteLine($"not ready: database unreachable ({beat.Error})");
            return 1;
        }
        output.WriteLine($"ok: {beat.Name} on {beat.Device} [{string.Join(',', beat.Queues)}], heartbeat {age.TotalSeconds:F0}s ago");
        return 0;
    }

    /// <summary>The probe as Program.cs runs it: options from appsettings.json and the environment, as the host reads them.</summary>
    public static int Probe(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory).AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables().Build();
        var options = configuration.GetSection(WorkerHealthOptions.Section).Get<WorkerHealthOptions>() ?? new WorkerHealthOptions();
        return Probe(args, options, TimeProvider.System, Console.Out);
    }

    public static bool IsProbe(string[] args) => args.Contains(ProbeFlag);

    /// <summary>
    /// The name shown in Hangfire's servers page: who, on what, for which queues, e.g. <c>gpu-node-2:4121 cuda:1 [gpu]</c>.
    /// <see cref="WorkerOptions.Name"/> stays the lease owner; this only describes it.
    /// </summary>
    public static string ServerName(WorkerOptions worker, TorchDevice device) =>
        $"{worker.Name} {DeviceName(device)} [{string.Join(',', worker.Queues)}]";

    private static string DeviceName(TorchDevice device) => device.Device.type == DeviceType.CPU
        ? "cpu"
        : device.Device.index < 0 ? "cuda" : $"cuda:{device.Device.index}";
}

public static class WorkerHealthRegistration
{
    /// <summary>Registers the heartbeat writer; options from <c>Worker:Health</c>.</summary>
    public static IServiceCollection AddWorkerHealth(this IServiceCollection services, IConfiguration configuration, string connectionString)
    {
        var options = configuration.GetSection(WorkerHealthOptions.Section).Get<WorkerHealthOptions>() ?? new WorkerHealthOptions();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService(sp => new WorkerHealth(options, sp.GetRequiredService<WorkerOptions>(), sp.GetRequiredService<TorchDevice>(),
            connectionString, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WorkerHealth>>()));
        return services;
    }
}
