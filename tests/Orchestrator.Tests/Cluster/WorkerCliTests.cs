using System.Diagnostics;
using System.Text;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Database;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Cluster;

/// <summary>The Worker's command line (System.CommandLine), its console logging, and its exit when its parent dies.</summary>
public sealed class WorkerCliTests(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Help_NamesEveryVerb_AndABadArgumentIsNamed()
    {
        var (code, text) = await RunAsync(["--help"], new Dictionary<string, string>(), TimeSpan.FromMinutes(1));
        Assert.Equal(0, code);
        foreach (var verb in new[] { "evaluate <run-id>", "ngram <file>", "bench <", "--health" }) Assert.Contains(verb, text);

        var (badCode, badText) = await RunAsync(["ngram", "/no/such/file.txt", "--order", "3"], new Dictionary<string, string>(), TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, badCode);
        Assert.Contains("/no/such/file.txt", badText);
    }

    [Fact]
    public async Task Bench_AcceptsEveryPartTheOrchestratorRuns()
    {
        // rnnsweep bench runs these parts (BenchCommand); the Worker once refused 'machine' and 'precision' after a merge.
        var (code, text) = await RunAsync(["bench", "no-such-part"], new Dictionary<string, string>(), TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, code);
        foreach (var part in new[] { "machine", "loop", "analysis", "corpus", "precision" }) Assert.Contains($"'{part}'", text);
    }

    [Fact]
    public async Task Bench_RefusesAnUnknownFlagAndABadNumber_NamingTheFlag()
    {
        var none = new Dictionary<string, string>();
        var (code, text) = await RunAsync(["bench", "loop", "--bogus", "3"], none, TimeSpan.FromMinutes(1));
        Assert.Equal(2, code);
        Assert.Contains("unknown flag --bogus", text);
        foreach (var flag in new[] { "--layers", "--hidden", "--memory-only" }) Assert.Contains(flag, text); // the part's flags are listed
        Assert.DoesNotContain("   at ", text);

        (code, text) = await RunAsync(["bench", "precision", "--layers", "x3"], none, TimeSpan.FromMinutes(1));
        Assert.Equal(2, code);
        Assert.Contains("--layers must be a whole number, not 'x3'", text);
        Assert.DoesNotContain("   at ", text);
    }

    [Fact]
    public async Task Worker_WithAnUnknownOption_OrNoDatabase_SaysSoInOneLine()
    {
        var none = new Dictionary<string, string>();
        var (code, text) = await RunAsync(["--bogus"], none, TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, code);
        Assert.Contains("unknown option or argument '--bogus'", text);
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain("Unhandled", text);

        (code, text) = await RunAsync(["--Worker:Name=cli-test"], none, TimeSpan.FromMinutes(1)); // configuration is still taken
        Assert.NotEqual(0, code);
        Assert.Contains("no database is configured", text);
        Assert.Contains(DatabaseSettings.EnvironmentVariable, text);
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain("Unhandled", text);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("error:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Worker_WithAnUnknownLstmKernel_SaysSoInOneLine()
    {
        var (code, text) = await RunAsync([], new Dictionary<string, string> { ["RNNSWEEP_LSTM_KERNEL"] = "onednn" }, TimeSpan.FromMinutes(1));
        Assert.Equal(2, code);
        Assert.Contains("error: RNNSWEEP_LSTM_KERNEL: must be auto (the default: oneDNN where it agrees with ATen) or aten, not 'onednn'", text);
        Assert.DoesNotContain("   at ", text);
    }

    [Fact]
    [Trait("Category", "WorkerProcess")]
    public async Task Evaluate_LogsItsDatabaseRetries_ToTheConsole()
    {
        // A port nobody listens on: evaluate retries, and says so on stderr (its logger had no provider before).
        var settings = new Dictionary<string, string> { [DatabaseSettings.EnvironmentVariable] = "Host=127.0.0.1;Port=9;Username=x;Password=y;Database=z;Timeout=2" };
        var (_, text) = await RunAsync(["evaluate", "1"], settings, TimeSpan.FromSeconds(60), untilOutput: "Database unavailable"); // ends at the first retry; 20 s ran out once at load 27
        Assert.Contains("WRN", text);
        Assert.Contains("Database unavailable", text);
    }

    [Fact]
    [Trait("Category", "WorkerProcess")]
    public async Task Worker_Stops_WhenTheProcessThatStartedItIsKilled()
    {
        var psi = StartInfo(["-c", "export RNNSWEEP_PARENT_PID=$$; dotnet \"$0\" & echo \"worker-pid $!\"; wait", TestPaths.WorkerDll], new Dictionary<string, string>
        {
            [DatabaseSettings.EnvironmentVariable] = await postgres.CreateEmptyDatabaseAsync(), ["Worker__Name"] = "orphan", ["Worker__TorchThreads"] = "1",
            ["Worker__Queues__0"] = $"orphan{Guid.NewGuid():N}"[..20],
        }, "bash");
        using var parent = Process.Start(psi)!;
        var log = new StringBuilder();
        var workerPid = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Line(string? line)
        {
            if (line is null) return;
            lock (log) log.AppendLine(line);
            if (line.StartsWith("worker-pid ", StringComparison.Ordinal)) workerPid.TrySetResult(int.Parse(line[11..]));
            if (line.Contains("listening on queues", StringComparison.Ordinal)) listening.TrySetResult();
        }
        parent.OutputDataReceived += (_, e) => Line(e.Data);
        parent.ErrorDataReceived += (_, e) => Line(e.Data);
        parent.BeginOutputReadLine();
        parent.BeginErrorReadLine();
        var pid = await workerPid.Task.WaitAsync(TimeSpan.FromMinutes(1));
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromMinutes(2));
            parent.Kill(); // SIGKILL: the parent cannot stop its child itself
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (Directory.Exists($"/proc/{pid}") && DateTime.UtcNow < deadline) await Task.Delay(200);
            Assert.False(Directory.Exists($"/proc/{pid}"), "the Worker still runs 60 s after its parent was killed");
            lock (log) Assert.Contains("is gone; stopping", log.ToString());
        }
        finally
        {
            if (Directory.Exists($"/proc/{pid}")) Process.GetProcessById(pid).Kill();
            lock (log) output.WriteLine(log.ToString());
        }
    }

    private static ProcessStartInfo StartInfo(IEnumerable<string> args, IDictionary<string, string> settings, string file = "dotnet")
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_gcServer"] = "0";
        psi.Environment.Remove(DatabaseSettings.EnvironmentVariable);
        foreach (var (key, value) in settings) psi.Environment[key] = value;
        return psi;
    }

    /// <summary>Runs the Worker with <paramref name="args"/> to its end, or until <paramref name="untilOutput"/> appears (then kills it).</summary>
    private async Task<(int Code, string Output)> RunAsync(string[] args, IDictionary<string, string> settings, TimeSpan timeout, string? untilOutput = null)
    {
        if (!File.Exists(TestPaths.WorkerDll)) throw new FileNotFoundException("build the Worker first", TestPaths.WorkerDll);
        using var process = Process.Start(StartInfo([TestPaths.WorkerDll, .. args], settings))!;
        var text = new StringBuilder();
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Line(string? line)
        {
            if (line is null) return;
            lock (text) text.AppendLine(line);
            if (untilOutput is not null && line.Contains(untilOutput, StringComparison.Ordinal)) seen.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await Task.WhenAny(process.WaitForExitAsync(cts.Token), seen.Task.WaitAsync(cts.Token));
        }
        catch (OperationCanceledException) { }
        if (!process.HasExited) process.Kill();
        await process.WaitForExitAsync();
        string all;
        lock (text) all = text.ToString();
        output.WriteLine(all);
        return (process.ExitCode, all);
    }
}
