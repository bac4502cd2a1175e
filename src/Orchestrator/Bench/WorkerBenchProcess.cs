using System.Diagnostics;
using RnnSweep.Orchestrator.Cli;

namespace RnnSweep.Orchestrator.Bench;

/// <summary>
/// Runs the Worker's <c>bench</c> command in a subprocess (the Orchestrator never loads TorchSharp) and collects
/// the figures it prints. One process per part, so each part's peak memory is its own.
/// </summary>
public static class WorkerBenchProcess
{
    public static async Task RunAsync(BenchReport report, string[] args, TimeSpan timeout, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(WorkerProcesses.FindWorkerDll());
        psi.ArgumentList.Add("bench");
        foreach (var a in args) psi.ArgumentList.Add(a);
        WorkerProcesses.SetAllocator(psi);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the Worker");
        var errors = process.StandardError.ReadToEndAsync(ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(limit.Token) is { } line)
            {
                if (BenchRow.Parse(line) is { } row) report.Add(row);
            }
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"Worker bench {string.Join(' ', args)} took longer than {timeout}");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"Worker bench {string.Join(' ', args)} failed (exit {process.ExitCode}): {await errors}");
        }
    }
}
