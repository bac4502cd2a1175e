using System.Diagnostics;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.LocalCluster;

namespace RnnSweep.Orchestrator.Bench;

/// <summary>
/// Runs the Worker's <c>bench</c> command in a subprocess (the Orchestrator never loads TorchSharp) and collects
/// the figures it prints. One process per part, so each part's peak memory is its own. A part that fails or times
/// out is recorded in the report (<see cref="BenchReport.Fail"/>) and the bench goes on: one broken part must not
/// cost the figures of the others.
/// </summary>
public static class WorkerBenchProcess
{
    public static async Task RunAsync(BenchReport report, string[] args, TimeSpan timeout, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(WorkerProcesses.FindWorkerDll());
        psi.ArgumentList.Add("bench");
        foreach (var a in args) psi.ArgumentList.Add(a);
        WorkerAllocator.Apply(psi);
        Shared.Diagnostics.LstmKernelChoice.Check(psi.Environment); // a bad value is one line here, not a Worker that exits at start
        psi.Environment[WorkerProcesses.ParentPidVariable] = Environment.ProcessId.ToString(); // the part ends if this process is killed
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
            report.Fail($"Worker bench {string.Join(' ', args)}", $"took longer than {timeout}");
            return;
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        if (process.ExitCode != 0)
        {
            report.Fail($"Worker bench {string.Join(' ', args)}", $"exit {process.ExitCode}: {(await errors).Trim()}");
        }
    }
}
