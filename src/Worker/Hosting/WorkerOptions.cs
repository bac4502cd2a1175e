using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Hosting;

/// <summary>A Worker process's settings, bound from the <c>Worker</c> configuration section (env: <c>Worker__Queues__0=gpu</c>).</summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>Shown in the Hangfire servers page and stored as the lease owner; unique per process.</summary>
    public string Name { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";
    /// <summary>
    /// Hangfire queues this worker takes runs from (lowercase). Not a priority order: Hangfire.PostgreSql 1.21 fetches
    /// by (fetchedat nulls first, queue name, job id), so among several queues the one whose name sorts first wins.
    /// </summary>
    public string[] Queues { get; set; } = [];
    /// <summary>Runs trained at once by this process. One per device: torch's dropout generator is process-wide.</summary>
    public int Concurrency { get; set; } = 1;
    /// <summary>Threads libtorch uses for one run (0: all cores).</summary>
    public int TorchThreads { get; set; }
    /// <summary><c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c>.</summary>
    public string Device { get; set; } = "cpu";
    /// <summary>How long a run's lease lasts without renewal: a killed worker's run is taken over after this.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>How long Hangfire waits for a silent worker's job before handing it to another worker.</summary>
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>
    /// How long this Worker waits before asking an empty queue again; a queue with jobs is never waited on. Shorter
    /// starts work enqueued into an idle queue sooner, at one indexed statement per poll.
    /// </summary>
    public TimeSpan QueuePollInterval { get; set; } = Shared.Jobs.HangfireStorageSetup.DefaultQueuePollInterval;
    /// <summary>How long a stopping worker waits for its run to checkpoint and release the lease.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// How often the worker asks Hangfire whether a running job was deleted or requeued from the dashboard; the run is
    /// released within about this long (Hangfire's own default is 5 s, during which a requeued run keeps training).
    /// </summary>
    public TimeSpan CancellationCheckInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>Memory the n-gram baseline may use; it stops at the highest order that fits.</summary>
    public long NGramMemoryBytes { get; set; } = 1L << 30;
    /// <summary>The n-gram baseline's smoothing: <c>kneser-ney</c> (interpolated modified Kneser-Ney, the paper-standard baseline), <c>absolute</c> or <c>witten-bell</c>.</summary>
    public string NGramSmoothing { get; set; } = "kneser-ney";
    /// <summary>Where corpora fetched from the database are cached, by checksum.</summary>
    public string CacheDir { get; set; } = Path.Combine(Path.GetTempPath(), "rnnsweep-cache");

    /// <summary>
    /// A bench and test tool, never for real sweeps: when set, this Worker does not train. Each epoch of a run waits
    /// the run's estimated cost per epoch (parameters x characters) times this many seconds, then commits made-up
    /// losses and an empty checkpoint; the run ends succeeded without a test loss, so no analyses follow. Used to
    /// measure dispatch order and estimates with real Hangfire and Worker processes (docs/benchmarks.md).
    /// </summary>
    public double? SimulatedSecondsPerCost { get; set; }

    public IReadOnlyList<FieldError> Validate()
    {
        var errors = new List<FieldError>();
        if (SimulatedSecondsPerCost is { } scale && !(scale > 0 && scale <= 1))
            errors.Add(new("Worker:SimulatedSecondsPerCost", $"must be in (0, 1] or absent, not {scale}"));
        if (Queues.Length == 0 || Queues.Any(q => string.IsNullOrWhiteSpace(q) || q != q.ToLowerInvariant()))
            errors.Add(new("Worker:Queues", "must name one or more lowercase queues"));
        if (Concurrency is < 1 or > 64) errors.Add(new("Worker:Concurrency", $"must be between 1 and 64, not {Concurrency}"));
        if (TorchThreads is < 0 or > 1024) errors.Add(new("Worker:TorchThreads", $"must be between 0 and 1024, not {TorchThreads}"));
        if (LeaseDuration < TimeSpan.FromSeconds(2)) errors.Add(new("Worker:LeaseDuration", "must be at least 2 seconds"));
        if (InvisibilityTimeout < TimeSpan.FromSeconds(2)) errors.Add(new("Worker:InvisibilityTimeout", "must be at least 2 seconds"));
        if (QueuePollInterval < TimeSpan.FromMilliseconds(50) || QueuePollInterval > TimeSpan.FromMinutes(1))
            errors.Add(new("Worker:QueuePollInterval", $"must be between 00:00:00.05 and 00:01:00, not {QueuePollInterval}"));
        if (CancellationCheckInterval < TimeSpan.FromMilliseconds(100) || CancellationCheckInterval > TimeSpan.FromMinutes(1))
            errors.Add(new("Worker:CancellationCheckInterval", $"must be between 00:00:00.1 and 00:01:00, not {CancellationCheckInterval}"));
        try { Analysis.NGramSmoothingNames.Parse(NGramSmoothing); }
        catch (ArgumentException e) { errors.Add(new("Worker:NGramSmoothing", e.Message.Split(" (Parameter")[0])); }
        if (NGramMemoryBytes < 1 << 20) errors.Add(new("Worker:NGramMemoryBytes", $"must be at least 1 MiB (1048576), not {NGramMemoryBytes}"));
        return errors;
    }
}
