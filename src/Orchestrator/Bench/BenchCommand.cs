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
        var quick = new Option<bool>("--quick") { Description = "A reduced run (about 2 minutes): smaller epochs, 1x64 only, 2,000-cell sweep" };
        var keep = new Option<bool>("--keep-database") { Description = $"Keep the {BenchDatabase.Name} database afterwards for inspection" };
        var command = new Command("bench", "Measure training-loop overhead, FLOP/s, analyses, orchestration latency, submission at scale, checkpoints and memory")
        {
            quick, keep,
        };
        command.SetAction((parse, ct) => CliOptions.Guard(() => RunAsync(parse.GetValue(quick), parse.GetValue(keep), ct)));
        command.Subcommands.Add(DispatchBench.Create());
        return command;
    }

    private static async Task<int> RunAsync(bool quick, bool keepDatabase, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        var report = new BenchReport();
        Console.WriteLine($"rnnsweep bench{(quick ? " --quick" : "")}: {Environment.ProcessorCount} cores; " +
                          $"load average {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a")} (other processes share the CPU: ratios are measured within one process)");
        await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
        var benchConnection = await BenchDatabase.RecreateAsync(connection.ConnectionString, ct);
        try
        {
            await using (var app = await LocalServer.StartAsync(benchConnection, "http://127.0.0.1:0", ct))
            {
                var runs = await LoopRunsAsync(app, ct);
                var threads = Environment.ProcessorCount.ToString();
                var epochSeconds = quick ? "4" : "12";
                var loop = new[] { "loop", "--connection", benchConnection, "--epoch-seconds", epochSeconds, "--epochs", "2" };
                var minutes = TimeSpan.FromMinutes(quick ? 2 : 6);

                Console.WriteLine("0. The machine: processor, nominal peak, matmul and memory ceilings (Worker subprocess)");
                await WorkerBenchProcess.RunAsync(report, ["machine", "--threads", threads], minutes, ct);

                Console.WriteLine("1, 2. Training loop overhead and hardware use (Worker subprocesses)");
                await WorkerBenchProcess.RunAsync(report, [.. loop, "--layers", "1", "--hidden", "64", "--threads", "1", "--run", runs[(1, 64)].ToString(),
                    "--label", "LSTM 1x64 (1 thread)"], minutes, ct);
                if (!quick)
                {
                    await WorkerBenchProcess.RunAsync(report, [.. loop, "--layers", "1", "--hidden", "64", "--threads", threads, "--run", runs[(1, 64)].ToString(),
                        "--label", $"LSTM 1x64 ({threads} threads)"], minutes, ct);
                    await WorkerBenchProcess.RunAsync(report, [.. loop, "--layers", "1", "--hidden", "64", "--threads", "1", "--input", "embedding",
                        "--run", runs[(1, 64)].ToString(), "--label", "LSTM 1x64 (1 thread, embedding)"], minutes, ct);
                    await WorkerBenchProcess.RunAsync(report, [.. loop, "--layers", "2", "--hidden", "128", "--threads", threads, "--run", runs[(2, 128)].ToString(),
                        "--label", $"LSTM 2x128 ({threads} threads)"], minutes, ct);
                    await WorkerBenchProcess.RunAsync(report, [.. loop, "--layers", "2", "--hidden", "128", "--threads", "1", "--run", runs[(2, 128)].ToString(),
                        "--label", "LSTM 2x128 (1 thread)"], minutes, ct);
                }
                await WorkerBenchProcess.RunAsync(report, [.. loop, "--layers", "3", "--hidden", "512", "--threads", threads, "--run", runs[(3, 512)].ToString(),
                    "--epoch-seconds", quick ? "6" : "30", "--checkpoints", "--label", $"LSTM 3x512 ({threads} threads)"], minutes, ct);
                // The same loop with hyperparameters.precision bfloat16, right after the float32 one.
                await WorkerBenchProcess.RunAsync(report, [.. loop, "--layers", "3", "--hidden", "512", "--threads", threads, "--run", runs[(3, 512)].ToString(),
                    "--epoch-seconds", quick ? "6" : "30", "--precision", "bfloat16", "--label", $"LSTM 3x512 bfloat16 ({threads} threads)"], minutes, ct);
                Console.WriteLine("2. bfloat16 training against float32, LSTM 3x512 (Worker subprocess)");
                await WorkerBenchProcess.RunAsync(report, ["precision", "--layers", "3", "--hidden", "512", "--threads", threads, "--batches", "1",
                    "--budget", quick ? "0" : "20"], TimeSpan.FromMinutes(12), ct);
                Console.WriteLine("7. Memory training 3x512 (Worker subprocess that only trains)");
                await WorkerBenchProcess.RunAsync(report, ["loop", "--connection", benchConnection, "--layers", "3", "--hidden", "512", "--threads", threads,
                    "--run", runs[(3, 512)].ToString(), "--memory-only", "--batches", "3", "--epochs", "2", "--label", "LSTM 3x512"], minutes, ct);

                Console.WriteLine("3. Analyses (Worker subprocess)");
                await WorkerBenchProcess.RunAsync(report, ["analysis", "--threads", threads, "--repeats", quick ? "1" : "3", "--sample-length", quick ? "300" : "2000"], minutes, ct);

                Console.WriteLine("4. Orchestration (2 Worker processes)");
                await report.RunPartAsync("orchestration", () => OrchestrationBench.RunAsync(report, app, benchConnection, quick ? 20 : 50, ct), ct);

                Console.WriteLine("7. Memory of one Worker over consecutive runs (Worker process)");
                await report.RunPartAsync("worker memory", () => WorkerMemoryBench.RunAsync(report, app, benchConnection, runs: 4, epochs: quick ? 1 : 2, ct), ct);

                Console.WriteLine("5. Scale");
                await report.RunPartAsync("scale", () => ScaleBench.RunAsync(report, app, quick ? 2_000 : 10_000, ct), ct);
            }

            Console.WriteLine("7. Memory on a large corpus (Worker subprocess)");
            await WorkerBenchProcess.RunAsync(report, ["corpus", "--megabytes", quick ? "50" : "200", "--threads", "1"], TimeSpan.FromMinutes(quick ? 2 : 5), ct);
        }
        finally
        {
            if (!keepDatabase) await BenchDatabase.DropAsync(connection.ConnectionString, CancellationToken.None);
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
