using System.Diagnostics;
using System.Text;
using RnnSweep.Shared.Database;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Support;

/// <summary>A real Worker process (the built RnnSweep.Worker.dll), its output kept for the test log.</summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WorkerProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <param name="settings">Extra Worker settings as environment variables, e.g. <c>Worker__LeaseDuration=00:00:05</c>.</param>
    /// <param name="prefix">A command to run the Worker under (<c>ip netns exec NAME</c>, which execs it: the process is the Worker's).</param>
    public static WorkerProcess Start(string connectionString, string name, IDictionary<string, string>? settings = null, string[]? prefix = null)
    {
        TestCategories.RequireOutsideFastRun(TestCategories.WorkerProcess, "a Worker process");
        if (!File.Exists(TestPaths.WorkerDll)) throw new FileNotFoundException("build the Worker first", TestPaths.WorkerDll);
        var psi = new ProcessStartInfo(prefix is { Length: > 0 } ? prefix[0] : "dotnet")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(TestPaths.WorkerDll)!,
        };
        if (prefix is { Length: > 0 })
        {
            foreach (var a in prefix[1..]) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add("dotnet");
        }
        psi.ArgumentList.Add(TestPaths.WorkerDll);
        psi.Environment[DatabaseSettings.EnvironmentVariable] = connectionString;
        psi.Environment["Worker__Name"] = name;
        psi.Environment["Worker__TorchThreads"] = "1";
        psi.Environment["Worker__CacheDir"] = Path.Combine(TestPaths.Home, "test-cache");
        psi.Environment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        return new WorkerProcess(Process.Start(psi)!, name);
    }

    public void Signal(string signal) => Process.Start("kill", [$"-{signal}", _process.Id.ToString()])!.WaitForExit();

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); return true; }
        catch (OperationCanceledException) { return false; }
    }

    public void WriteTo(ITestOutputHelper output)
    {
        try { output.WriteLine($"--- worker {Name} ---\n{Output}"); } catch (InvalidOperationException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signal("TERM");
            if (!await WaitForExitAsync(TimeSpan.FromSeconds(20))) _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}
