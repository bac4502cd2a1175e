using Hangfire;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;
using RnnSweep.Shared.Logging;
using RnnSweep.Worker.Hosting;
using RnnSweep.Worker.Jobs;
using Serilog;

if (WorkerHealth.IsProbe(args)) return WorkerHealth.Probe(args);
if (args.FirstOrDefault() == "bench") return await RnnSweep.Worker.Bench.WorkerBench.RunAsync(args[1..]);
if (args.FirstOrDefault() == NGramCommand.Verb) return NGramCommand.Run(args[1..]);
if (args.FirstOrDefault() == EvaluateCommand.Verb)
{
    return await EvaluateCommand.RunAsync(args[1..], LoggerFactory.Create(_ => { }).CreateLogger("evaluate"));
}

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSerilog(config => Logging.Configure(config, "worker"));

var options = builder.Configuration.GetSection(WorkerOptions.Section).Get<WorkerOptions>() ?? new WorkerOptions();
// Set here, not as the property's default: configuration binding appends to an array instead of replacing it.
if (options.Queues.Length == 0) options.Queues = ["cpu"];
if (options.Validate() is { Count: > 0 } problems) throw new ValidationException(problems);
string connectionString;
try
{
    connectionString = DatabaseSettings.Resolve(builder.Configuration)
        ?? throw new InvalidOperationException($"No database: set {DatabaseSettings.EnvironmentVariable} or ConnectionStrings:{DatabaseSettings.ConnectionStringName}.");
}
catch (ValidationException e)
{
    Console.Error.WriteLine($"error: {e.Message}"); // a malformed connection string: one line, not a stack trace
    return 2;
}

builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout + TimeSpan.FromSeconds(5));
builder.Services.AddSingleton(options);
// pg_stat_activity names each worker's connections.
var workerConnection = DatabaseSettings.WithApplicationName(connectionString, $"rnnsweep-worker {options.Name}");
builder.Services.AddSingleton(sp => new RunStore(workerConnection, sp.GetRequiredService<ILogger<RunStore>>()));
builder.Services.AddSingleton(_ => new AnalysisStore(workerConnection));
var device = TorchDevice.Select(options.Device, options.TorchThreads);
builder.Services.AddSingleton(device);
builder.Services.AddWorkerHealth(builder.Configuration, connectionString);
builder.Services.AddTransient<ITrainRunJob, TrainRunJob>();
builder.Services.AddTransient<IAnalyzeRunJob, AnalyzeRunJob>();
builder.Services.AddTransient<ISampleJob, SampleJob>();
builder.Services.AddTransient<INGramBaselineJob, NGramBaselineJob>();
builder.Services.AddHangfire(c => c.UseRnnSweepStorage(connectionString, options.InvisibilityTimeout).UseFilter(new CurrentJob()));
builder.Services.AddHangfireServer(o =>
{
    o.ServerName = WorkerHealth.ServerName(options, device); // the servers page shows host, device and queues
    o.Queues = options.Queues;
    o.WorkerCount = options.Concurrency;
    // why: cancel running jobs at once on SIGTERM (StopTimeout zero). An epoch can last hours; the job releases its
    // lease and Hangfire requeues it, so another worker resumes from the latest checkpoint without waiting.
    o.StopTimeout = TimeSpan.Zero;
    o.ShutdownTimeout = options.ShutdownTimeout;
    o.CancellationCheckInterval = options.CancellationCheckInterval;
});

var host = builder.Build();
host.Services.GetRequiredService<ILogger<Program>>().LogInformation(
    "Worker {Name} on {Device} listening on queues {Queues}", options.Name, host.Services.GetRequiredService<TorchDevice>(), options.Queues);
await host.RunAsync();
return 0;
