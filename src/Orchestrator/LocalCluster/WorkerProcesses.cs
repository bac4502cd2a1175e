using System.Diagnostics;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.LocalCluster;

/// <summary>Worker processes started by <c>rnnsweep sweep</c> on this machine, stopped with it.</summary>
public sealed class WorkerProcesses : IAsyncDisposable
{
    public const string WorkerDllVariable = "RNNSWEEP_WORKER_DLL";
    /// <summary>The Worker's RnnSweep.Worker.Hosting.ParentWatch.Variable (the Orchestrator does not reference the Worker).</summary>
    public const string ParentPidVariable = "RNNSWEEP_PARENT_PID";

    private readonly List<Process> _processes = [];

    /// <summary>Process ids of the Workers started and still tracked.</summary>
    public IReadOnlyList<int> ProcessIds => _processes.Select(p => p.Id).ToList();

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
            WorkerAllocator.Apply(psi);
            Shared.Diagnostics.LstmKernelChoice.Check(psi.Environment); // a bad value is one line here, not a Worker that exits at start
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
