using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.Tests.Cli;

/// <summary>
/// The built <c>rnnsweep</c> CLI as a user runs it: its own process, with its own RNNSWEEP_HOME (so its own private
/// PostgreSQL) and no RNNSWEEP_CONNECTION; optionally inside a pseudo-terminal (pty_session.py) so Ctrl+C is a real ^C.
/// </summary>
public sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly bool _inTerminal;

    private CliProcess(Process process, bool inTerminal)
    {
        _process = process;
        _inTerminal = inTerminal;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>The rnnsweep process itself (inside the terminal: the pty driver's child).</summary>
    public int CliPid => _inTerminal ? int.Parse(Match(@"\[pty\] pid (\d+)")) : _process.Id;

    /// <summary>A fresh RNNSWEEP_HOME for one test.</summary>
    public static string FreshHome(string name)
    {
        var home = Path.Combine(TestPaths.Artifacts("cli-process"), name);
        if (Directory.Exists(home)) Directory.Delete(home, recursive: true);
        Directory.CreateDirectory(home);
        return home;
    }

    /// <param name="inTerminal">Run it in a pseudo-terminal (Ctrl+C through the terminal); else with stdin redirected.</param>
    public static CliProcess Start(string home, bool inTerminal, params string[] args) => Start(home, inTerminal, new Dictionary<string, string>(), args);

    /// <param name="environment">Variables set for the command (and so for the Workers it starts).</param>
    public static CliProcess Start(string home, bool inTerminal, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        // 'rnnsweep sweep' starts local Worker processes beside its dashboard (and trains).
        if (args.Length > 0 && args[0] == "sweep") TestCategories.RequireOutsideFastRun(TestCategories.WorkerProcess, "Worker processes (rnnsweep sweep)");
        var orchestrator = Path.Combine(TestPaths.OrchestratorOutput, "RnnSweep.Orchestrator.dll");
        if (!File.Exists(orchestrator)) throw new FileNotFoundException("build the Orchestrator first", orchestrator);
        var psi = new ProcessStartInfo(inTerminal ? "/usr/bin/python3" : "dotnet")
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        if (inTerminal)
        {
            psi.ArgumentList.Add(Path.Combine(TestPaths.RepoRoot, "tests", "Orchestrator.Tests", "Cli", "pty_session.py"));
            psi.ArgumentList.Add("dotnet");
        }
        psi.ArgumentList.Add(orchestrator);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove(DatabaseSettings.EnvironmentVariable);
        psi.Environment[Connection.HomeVariable] = home;
        psi.Environment[WorkerProcesses.WorkerDllVariable] = TestPaths.WorkerDll;
        psi.Environment["Worker__CacheDir"] = Path.Combine(TestPaths.Home, "test-cache");
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        return new CliProcess(Process.Start(psi)!, inTerminal);
    }

    /// <summary>Waits until the output matches <paramref name="pattern"/>; fails with the output so far if it does not in time.</summary>
    public async Task<string> WaitForAsync(string pattern, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Regex.Match(Output, pattern) is { Success: true } m) return m.Groups.Count > 1 ? m.Groups[1].Value : m.Value;
            if (_process.HasExited)
            {
                await Task.Delay(500); // the last lines
                if (Regex.Match(Output, pattern) is { Success: true } last) return last.Groups.Count > 1 ? last.Groups[1].Value : last.Value;
                break;
            }
            await Task.Delay(250);
        }
        throw new Xunit.Sdk.XunitException($"'{pattern}' did not appear in {timeout.TotalSeconds} s. Output:\n{Output}");
    }

    public string Match(string pattern) => Regex.Match(Output, pattern) is { Success: true } m
        ? m.Groups[1].Value
        : throw new Xunit.Sdk.XunitException($"'{pattern}' not in the output:\n{Output}");

    /// <summary>Ctrl+C typed into the terminal: SIGINT to the foreground process group.</summary>
    public async Task TypeCtrlCAsync()
    {
        if (!_inTerminal) throw new InvalidOperationException("not in a terminal");
        await _process.StandardInput.WriteLineAsync("INT");
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>SIGTERM to the rnnsweep process only.</summary>
    public async Task TerminateAsync()
    {
        if (!_inTerminal)
        {
            Process.Start("kill", ["-TERM", CliPid.ToString()])!.WaitForExit();
            return;
        }
        await _process.StandardInput.WriteLineAsync("TERM");
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits for the rnnsweep process to exit; returns its exit code and the seconds since the signal was sent.</summary>
    public async Task<(int Exit, double Seconds)> WaitForExitAsync(TimeSpan timeout, Stopwatch sinceSignal)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { throw new Xunit.Sdk.XunitException($"still running {timeout.TotalSeconds} s after the signal. Output:\n{Output}"); }
        var seconds = sinceSignal.Elapsed.TotalSeconds;
        _process.WaitForExit(); // the output's last lines
        if (!_inTerminal) return (_process.ExitCode, seconds);
        var m = Regex.Match(Output, @"\[pty\] exit (-?\d+) after ([\d.]+) s");
        Assert.True(m.Success, Output);
        return (int.Parse(m.Groups[1].Value), double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Processes whose parent is <paramref name="parent"/> and whose command line contains <paramref name="text"/>.</summary>
    public static List<int> Children(int parent, string text) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)).Select(int.Parse!)
            .Where(pid => ParentOf(pid) == parent && CommandLine(pid).Contains(text, StringComparison.Ordinal)).ToList();

    /// <summary>Live (not zombie) processes whose command line contains <paramref name="text"/>.</summary>
    public static List<int> ProcessesWith(string text) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)).Select(int.Parse!)
            .Where(pid => pid != Environment.ProcessId && IsAlive(pid) && CommandLine(pid).Contains(text, StringComparison.Ordinal)).ToList();

    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException) { return -1; }
    }

    private static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { Process.Start("kill", ["-KILL", CliPid.ToString()])?.WaitForExit(); } catch (Xunit.Sdk.XunitException) { }
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
