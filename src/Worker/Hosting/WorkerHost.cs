using Hangfire;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;
using RnnSweep.Shared.Logging;
using RnnSweep.Worker.Jobs;
using RnnSweep.Worker.Stores;
using RnnSweep.Worker.Training;
using Serilog;

namespace RnnSweep.Worker.Hosting;

/// <summary>The training Worker: a generic host running a Hangfire server on the configured queues.</summary>
public static class WorkerHost
{
    /// <param name="args">Host configuration arguments (<c>--Worker:Queues:0=gpu</c>).</param>
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddSerilog(config => Logging.Configure(config, "worker"));

        WorkerOptions options;
        string connectionString;
        // Settings a person gave wrong are one line and exit 2, not an unhandled exception with a stack trace.
        try
        {
            options = builder.Configuration.GetSection(WorkerOptions.Section).Get<WorkerOptions>() ?? new WorkerOptions();
            // Set here, not as the property's default: configuration binding appends to an array instead of replacing it.
            if (options.Queues.Length == 0) options.Queues = ["cpu"];
            if (options.Validate() is { Count: > 0 } problems) throw new ValidationException(problems);
            _ = TrainingKernel.Choice();                    // RNNSWEEP_LSTM_KERNEL: a wrong value stops the Worker here, not its first run
            connectionString = DatabaseSettings.Resolve(builder.Configuration)
                ?? throw new ValidationException("database", $"no database is configured: set {DatabaseSettings.EnvironmentVariable} or ConnectionStrings:{DatabaseSettings.ConnectionStringName}");
        }
        catch (Exception e) when (e is ValidationException or InvalidOperationException) // InvalidOperationException: a value binding cannot convert
        {
            Console.Error.WriteLine($"error: {OneLine(e)}");
            return 2;
        }

        builder.Services.AddWorker(builder.Configuration, options, connectionString);
        var host = builder.Build();
        var log = host.Services.GetRequiredService<ILogger<WorkerOptions>>();
        var device = host.Services.GetRequiredService<TorchDevice>();
        log.LogInformation("Worker {Name} on {Device} with {Allocator} listening on queues {Queues}", options.Name, device, NativeAllocator.Name, JobQueues.ListenedTo(options.Queues));
        // Not when glibc was chosen (RNNSWEEP_ALLOCATOR=glibc, which rnnsweep's Workers inherit).
        if (!NativeAllocator.IsTcmalloc && device.Device.type == TorchSharp.DeviceType.CPU
            && Environment.GetEnvironmentVariable(Shared.Diagnostics.Tcmalloc.ChoiceVariable) != Shared.Diagnostics.Tcmalloc.Glibc)
        {
            log.LogWarning("This Worker allocates with glibc's malloc: CPU training ran up to 1.3x slower than with tcmalloc (docs/benchmarks.md, \"Allocator\"). " +
                           "Install libtcmalloc-minimal4 and start the Worker with LD_PRELOAD={Library}, as rnnsweep and the Worker images do (RNNSWEEP_ALLOCATOR=glibc says glibc is meant)", Shared.Diagnostics.Tcmalloc.Library);
        }
        await host.RunAsync();
        return 0;
    }

    private static string OneLine(Exception e) =>
        string.Join(": ", new[] { e.Message, e.InnerException?.Message }.OfType<string>()).ReplaceLineEndings(" ");
}

/// <summary>The Worker's services, as <c>AddOrchestrator</c> composes the Orchestrator's.</summary>
public static class WorkerComposition
{
    /// <summary>
    /// Stores, the torch device, the heartbeat, the jobs and a Hangfire server on <see cref="WorkerOptions.Queues"/>;
    /// with <see cref="ParentWatch.Variable"/> set, the Worker also stops when the process that started it is gone.
    /// </summary>
    public static IServiceCollection AddWorker(this IServiceCollection services, IConfiguration configuration, WorkerOptions options, string connectionString)
    {
        services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout + TimeSpan.FromSeconds(5));
        services.AddSingleton(options);
        // pg_stat_activity names each worker's connections.
        var workerConnection = DatabaseSettings.WithApplicationName(connectionString, $"rnnsweep-worker {options.Name}");
        services.AddSingleton(sp => new RunStore(workerConnection, sp.GetRequiredService<ILogger<RunStore>>()));
        services.AddSingleton(_ => new AnalysisStore(workerConnection));
        var device = TorchDevice.Select(options.Device, options.TorchThreads);
        services.AddSingleton(device);
        services.AddWorkerHealth(configuration, connectionString);
        services.AddTransient<ITrainRunJob, TrainRunJob>();
        services.AddTransient<IAnalyzeRunJob, AnalyzeRunJob>();
        services.AddTransient<ISampleJob, SampleJob>();
        services.AddTransient<INGramBaselineJob, NGramBaselineJob>();
        services.AddHostedService<WorkerWarmUp>(); // before the Hangfire server: it starts first
        services.AddHangfire(c => c.UseRnnSweepStorage(connectionString, options.InvisibilityTimeout, options.QueuePollInterval).UseFilter(new CurrentJob()));
        services.AddHangfireServer(o =>
        {
            o.ServerName = WorkerHealth.ServerName(options, device); // the servers page shows host, device and queues
            o.Queues = JobQueues.ListenedTo(options.Queues); // each queue's short jobs first
            o.WorkerCount = options.Concurrency;
            // why: cancel running jobs at once on SIGTERM (StopTimeout zero). An epoch can last hours; the job releases its
            // lease and Hangfire requeues it, so another worker resumes from the latest checkpoint without waiting.
            o.StopTimeout = TimeSpan.Zero;
            o.ShutdownTimeout = options.ShutdownTimeout;
            o.CancellationCheckInterval = options.CancellationCheckInterval;
        });
        if (ParentWatch.FromEnvironment() is { } parent) services.AddHostedService(sp => new ParentWatch(parent, sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILogger<ParentWatch>>()));
        return services;
    }
}
