using System.Diagnostics;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.LocalCluster;

/// <summary>Worker processes started by <c>rnnsweep sweep</c> on this machine, stopped with it.</summary>
public sealed class WorkerProcesses : IAsyncDisposable
{
    public const string WorkerDllVariable = "RNNSWEEP_WORKER_DLL";
    /// <summary>The Worker's RnnSweep.Worker.Hosting.ParentWatch.Variable (the Orchestrator does not reference the Worker).</summary>
    public const string ParentPidVariable = "RNNSWEEP_PARENT_PID";

    /// <summary>
    /// Allocator settings for a Worker, environment variables read when the process starts.
    /// <c>MALLOC_ARENA_MAX=1</c> (glibc): with the default (8 per core) a Worker that trains run after run grew from 1.2
    /// to 2.6 GB peak resident over four LSTM 2x128 runs, memory freed by libtorch's threads staying in their arenas
    /// (fragmentation, not leaked tensors); with one arena the same runs stayed under 0.97 GB.
    /// <c>THP_MEM_ALLOC_ENABLE=1</c> (libtorch's CPU allocator): large tensors get 2 MB transparent huge pages
    /// (madvise; the kernel's setting must allow it, as Debian's default "madvise" does). Why: glibc maps every
    /// allocation over 32 MB afresh and a fresh 4 KB page faults on first touch; filling a fresh 73 MB tensor took
    /// 346 ms against 19 ms with huge pages, and the LSTM 3x512 training loop ran 1.13-1.2x faster.
    /// docs/benchmarks.md ("7 memory", "Huge pages") has the figures. The launcher, the Dockerfiles, the compose
    /// file and the Kubernetes manifests set the same values.
    /// </summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> AllocatorSettings =
        [new("MALLOC_ARENA_MAX", "1"), new("THP_MEM_ALLOC_ENABLE", "1")];

    private readonly List<Process> _processes = [];

    /// <summary>Process ids of the Workers started and still tracked.</summary>
    public IReadOnlyList<int> ProcessIds => _processes.Select(p => p.Id).ToList();

    /// <summary>Sets each of <see cref="AllocatorSettings"/> for a Worker unless this process's environment sets it already.</summary>
    public static void SetAllocator(ProcessStartInfo psi)
    {
        foreach (var (key, value) in AllocatorSettings)
            if (Environment.GetEnvironmentVariable(key) is not { Length: > 0 }) psi.Environment[key] = value;
    }

    /// <summary>The allocator settings a Worker started now gets, as <c>NAME=value</c> pairs (for reports).</summary>
    public static string DescribeAllocator() => string.Join(", ", AllocatorSettings.Select(s => $"{s.Key}={(Environment.GetEnvironmentVariable(s.Key) is { Length: > 0 } set ? set : s.Value)}"));

    public bool AnyAlive => _processes.Any(p => !p.HasExited);

    public static string FindWorkerDll()
    {
        if (Environment.GetEnvironmentVariable(WorkerDllVariable) is { Length: > 0 } explicitPath)
        {
            return File.Exists(explicitPath) ? explicitPath : throw new FileNotFoundException($"{WorkerDllVariable} names a missing file", explicitPath);
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "RnnSweep.slnx"))) continue;
            var built = new[] { "Release", "Debug" }
                .Select(c => Path.Combine(dir.FullName, "src", "Worker", "bin", c, "net10.0", "linux-x64", "RnnSweep.Worker.dll"))
                .Where(File.Exists).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
            if (built is not null) return built;
        }
        throw new FileNotFoundException($"The Worker is not built: run 'dotnet build src/Worker -c Release' or set {WorkerDllVariable}.");
    }

    /// <param name="settings">Extra Worker settings as environment variables, e.g. <c>Worker__SimulatedSecondsPerCost</c> (bench only).</param>
    public void Start(int count, string connectionString, string queue, int threadsPerWorker, IReadOnlyDictionary<string, string>? settings = null)
    {
        var dll = FindWorkerDll();
        for (var i = 0; i < count; i++)
        {
            var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false };
            psi.ArgumentList.Add(dll);
            psi.Environment[DatabaseSettings.EnvironmentVariable] = connectionString;
            psi.Environment["Worker__Queues__0"] = queue;
            psi.Environment["Worker__Name"] = $"local-{i + 1}";
            psi.Environment["Worker__TorchThreads"] = threadsPerWorker.ToString();
            // The Worker stops by itself if this process dies without stopping it (SIGKILL): see the Worker's ParentWatch.
            psi.Environment[ParentPidVariable] = Environment.ProcessId.ToString();
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) psi.Environment[key] = value;
            SetAllocator(psi);
            _processes.Add(Process.Start(psi) ?? throw new InvalidOperationException("could not start a worker"));
        }
    }

    /// <summary>
    /// Stops all but the first <paramref name="keep"/> Workers, all at once: SIGTERM, on which a Worker cancels its
    /// job and releases its run (Hangfire requeues it), then up to 30 s before it is killed.
    /// </summary>
    public async Task StopAsync(int keep = 0)
    {
        var stopping = _processes.Skip(keep).ToList();
        foreach (var p in stopping.Where(p => !p.HasExited))
        {
            try { Process.Start("kill", ["-TERM", p.Id.ToString()])?.WaitForExit(); }
            catch (InvalidOperationException) { } // exited meanwhile
        }
        await Task.WhenAll(stopping.Select(async p =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await p.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { p.Kill(entireProcessTree: true); }
            p.Dispose();
        }));
        _processes.RemoveAll(stopping.Contains);
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
