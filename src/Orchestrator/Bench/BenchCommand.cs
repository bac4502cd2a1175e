using System.CommandLine;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Bench;

/// <summary>
/// <c>rnnsweep bench</c>: measures where the product spends its time on this machine (docs/benchmarks.md) and prints
/// each figure with how it was measured. TorchSharp parts run in Worker subprocesses (<see cref="WorkerBenchProcess"/>);
/// the database is a fresh <c>rnnsweep_bench</c> on the configured or private server, dropped afterwards.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "A reduced run (4-8 minutes): short epochs, 1x64 and 3x512 only, 2,000-cell sweep, 40 s of simulated grid" };
        var keep = new Option<bool>("--keep-database") { Description = $"Keep the {BenchDatabase.Name} database afterwards for inspection" };
        var parts = new Option<string[]>("--part")
        {
            Description = $"Run only these parts (repeat for several): {string.Join(", ", Parts)}; default: all",
            AllowMultipleArgumentsPerToken = true,
        };
        parts.AcceptOnlyFromAmong(Parts);
        var command = new Command("bench", "Measure training-loop overhead, FLOP/s, analyses, orchestration latency, submission at scale, checkpoints and memory")
        {
            quick, keep, parts,
        };
        command.SetAction((parse, ct) => CliOptions.Guard(() =>
            RunAsync(parse.GetValue(quick), parse.GetValue(keep), new HashSet<string>(parse.GetValue(parts) is { Length: > 0 } only ? only : Parts), ct)));
        command.Subcommands.Add(DispatchBench.Create());
        return command;
    }

    /// <summary>The parts <c>--part</c> selects: the Worker's bench parts (<see cref="BenchPlan"/>), then the Orchestrator's.</summary>
    public static readonly string[] Parts = ["machine", "loop", "precision", "analysis", "orchestration", "worker-memory", "scale", "corpus", "makespan"];

    private static async Task<int> RunAsync(bool quick, bool keepDatabase, IReadOnlySet<string> only, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        var report = new BenchReport();
        Console.WriteLine($"rnnsweep bench{(quick ? " --quick" : "")}: {Environment.ProcessorCount} cores; " +
                          $"load average {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a")} (other processes share the CPU: ratios are measured within one process)");
        Console.WriteLine($"Worker processes' allocator settings: {WorkerAllocator.Describe()}");
        await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
        await using var benchLock = await BenchDatabase.LockAsync(connection.ConnectionString, ct);
        var benchConnection = await BenchDatabase.RecreateAsync(connection.ConnectionString, ct);
        try
        {
            await using (var app = await LocalServer.StartAsync(benchConnection, "http://127.0.0.1:0", ct))
            {
                var runs = await LoopRunsAsync(app, ct);
                foreach (var part in BenchPlan.TrainingParts(quick, Environment.ProcessorCount.ToString(), benchConnection, runs).Where(p => only.Contains(p.Args[0])))
                {
                    if (part.Heading is { } heading) Console.WriteLine(heading);
                    await WorkerBenchProcess.RunAsync(report, part.Args, part.Timeout, ct);
                }

                // An in-process part, when --part selects it; a failure is recorded under the name --part takes.
                async Task PartAsync(string part, string heading, Func<Task> body)
                {
                    if (!only.Contains(part)) return;
                    Console.WriteLine(heading);
                    await report.RunPartAsync(part, body, ct);
                }
                await PartAsync("orchestration", "4. Orchestration (2 Worker processes)",
                    () => OrchestrationBench.RunAsync(report, app, benchConnection, quick ? 20 : 50, ct));
                await PartAsync("worker-memory", "7. Memory of one Worker over consecutive runs (Worker process)",
                    () => WorkerMemoryBench.RunAsync(report, app, benchConnection, runs: 4, epochs: quick ? 1 : 2, ct));
                await PartAsync("scale", "5. Scale", () => ScaleBench.RunAsync(report, app, quick ? 2_000 : 10_000, ct));
            }

            if (only.Contains("corpus"))
            {
                var corpus = BenchPlan.CorpusPart(quick);
                Console.WriteLine(corpus.Heading);
                await WorkerBenchProcess.RunAsync(report, corpus.Args, corpus.Timeout, ct);
            }

            // After the shared server is gone: the makespan part runs its own, with the dispatch order it measures.
            // Not named "dispatch": that is the subcommand, and `--part scale dispatch` would run it instead.
            if (only.Contains("makespan"))
            {
                Console.WriteLine("8. Dispatch order (2 Worker processes, simulated training)");
                await report.RunPartAsync("makespan", () => DispatchBench.RunPartAsync(report, benchConnection, quick, ct), ct);
            }
        }
        finally
        {
            if (!keepDatabase) await BenchDatabase.DropOrWarnAsync(connection.ConnectionString);
        }
        report.Print(Console.Out);
        Console.WriteLine();
        Console.WriteLine($"{report.Rows.Count(r => r.Met == true)} of {report.Rows.Count(r => r.Met is not null)} goals met; bench took {total.Elapsed.TotalMinutes:0.0} minutes.");
        if (report.Failures.Count > 0) Console.Error.WriteLine($"error: {report.Failures.Count} bench part(s) failed: their rows at the end of the table say why");
        return report.Failures.Count > 0 ? 1 : 0;
    }

    /// <summary>
    /// Run rows for the loop benchmarks, whose CommitEpochAsync needs a run and its lease: a sweep on a queue no Worker
    /// listens on, so its jobs never start.
    /// </summary>
    private static async Task<Dictionary<(int Layers, int Hidden), long>> LoopRunsAsync(WebApplication app, CancellationToken ct)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var spec = new SweepSpec
        {
            Name = "bench-loop", Preset = Presets.Quick, Corpus = "bench-loop", CorpusText = BenchCorpus.Text(100_000),
            Models = ["lstm"], Layers = [1, 2, 3], HiddenSizes = [64, 128, 512], Queue = "bench-idle",
        };
        var sweep = (await scope.ServiceProvider.GetRequiredService<SweepSubmitter>().SubmitAsync(spec, null, ct)).Sweep;
        var db = scope.ServiceProvider.GetRequiredService<RnnSweepDbContext>();
        return await db.Runs.AsNoTracking().Where(r => r.SweepId == sweep.Id).ToDictionaryAsync(r => (r.Layers, r.Hidden), r => r.Id, ct);
    }
}
