using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Hangfire;
using Npgsql;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Sweeps;

namespace RnnSweep.Orchestrator.Bench;

/// <summary>
/// <c>rnnsweep bench dispatch</c>: makespan of the paper's 36-cell grid over its lower bound, first-in-first-out
/// against longest first, on 2, 4 and 8 Worker processes. Real Orchestrator, Hangfire and Workers; training is
/// simulated (<c>Worker:SimulatedSecondsPerCost</c>): each run waits its estimated cost (parameters x characters x
/// epochs, so proportional to parameters on one corpus) times a scale. Lower bound: max(total / workers, longest run).
/// </summary>
public static class DispatchBench
{
    public static Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "Simulated work of the whole grid, in seconds (its makespan on one Worker)", DefaultValueFactory = _ => 300 };
        var workers = new Option<int[]>("--workers") { Description = "Worker counts to measure", DefaultValueFactory = _ => [2, 4, 8], AllowMultipleArgumentsPerToken = true };
        var orders = new Option<string[]>("--orders") { Description = "Dispatch orders to measure: fifo, longest-first", DefaultValueFactory = _ => [Fifo, LongestFirst], AllowMultipleArgumentsPerToken = true };
        orders.AcceptOnlyFromAmong(Fifo, LongestFirst);
        seconds.Validators.Add(r => { if (r.GetValue(seconds) is not (>= 10 and <= 100_000)) r.AddError($"--seconds must be between 10 and 100000, not {r.GetValue(seconds)}"); });
        workers.Validators.Add(r => { if (r.GetValue(workers) is { } w && w.Any(n => n is < 1 or > 64)) r.AddError($"--workers must each be between 1 and 64, not {string.Join(" ", w)}"); });
        var command = new Command("dispatch", "Makespan of the paper grid with simulated training: first in, first out vs longest first (docs/benchmarks.md)") { seconds, workers, orders };
        command.SetAction((parse, ct) => CliOptions.Guard(() => RunAsync(parse.GetValue(seconds), parse.GetValue(workers)!, parse.GetValue(orders)!, ct)));
        return command;
    }

    private const string Fifo = "fifo";
    private const string LongestFirst = "longest-first";

    private static async Task<int> RunAsync(double totalSeconds, int[] workerCounts, string[] orders, CancellationToken ct)
    {
        await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
        await using var benchLock = await BenchDatabase.LockAsync(connection.ConnectionString, ct);
        var bench = await BenchDatabase.RecreateAsync(connection.ConnectionString, ct);
        var lines = new List<string>();
        try
        {
            foreach (var n in workerCounts)
            {
                foreach (var longestFirst in new[] { false, true }.Where(l => orders.Contains(l ? LongestFirst : Fifo)))
                {
                    var line = (await MeasureAsync(bench, n, longestFirst, totalSeconds, ct)).Line;
                    Console.WriteLine(line);
                    lines.Add(line);
                }
            }
        }
        finally
        {
            await BenchDatabase.DropOrWarnAsync(connection.ConnectionString);
        }
        Console.WriteLine();
        Console.WriteLine("| workers | order | lower bound (s) | makespan (s) | makespan / bound | overhead per run (s) | bound from measured run times (s) | makespan / that bound |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var line in lines) Console.WriteLine(line);
        return 0;
    }

    /// <summary>
    /// The part of the full <c>rnnsweep bench</c>: the paper grid on 2 Workers, longest first, as one figure (makespan
    /// over the lower bound, goal &lt;= 1.05); the subcommand measures more Worker counts and both orders.
    /// </summary>
    public static async Task RunPartAsync(BenchReport report, string bench, bool quick, CancellationToken ct)
    {
        var seconds = quick ? 40 : 120;
        var m = await MeasureAsync(bench, 2, longestFirst: true, seconds, ct);
        var ratio = m.Makespan / m.Bound;
        report.Add(new BenchRow("8 dispatch", "paper grid makespan / lower bound, 2 Workers, longest first", ratio, "ratio", "<= 1.05", ratio <= 1.05,
            $"the paper preset's 36 cells (one dropout) with simulated training making {seconds} s of work on one Worker, 2 Worker processes, " +
            $"Reaper:LongestFirst=true: first lease to last finish {m.Makespan:0.0} s against max(work / Workers, longest cell) = {m.Bound:0.0} s; " +
            $"against the same bound from the measured run times {m.Makespan / m.MeasuredBound:0.00} (`rnnsweep bench dispatch` measures 2, 4, 8 Workers and FIFO)"));
    }

    private sealed record DispatchResult(double Bound, double Makespan, double MeasuredBound, string Line);

    private static async Task<DispatchResult> MeasureAsync(string bench, int workerCount, bool longestFirst, double totalSeconds, CancellationToken ct)
    {
        var order = longestFirst ? "longest first" : "FIFO";
        var queue = $"dispatch-{workerCount}-{(longestFirst ? "lpt" : "fifo")}";
        await using var app = await LocalServer.StartAsync(bench, "http://127.0.0.1:0", ct, [$"--Reaper:LongestFirst={longestFirst}"]);
        try
        {
            // The paper's grid (preset paper, one dropout so 36 cells) on a small corpus: a run's cost is proportional to its parameters.
            var spec = new SweepSpec
            {
                Name = queue, Preset = Presets.Paper, Corpus = queue, CorpusText = BenchCorpus.Text(200_000), Queue = queue,
                Hyperparameters = new JsonObject { ["dropout"] = 0, ["maxEpochs"] = 1 },
            };
            // The scale that makes the whole grid last totalSeconds on one Worker, from the costs the submission will store.
            var costs = EstimateCosts(spec);
            var scale = totalSeconds / costs.Sum();
            var bound = Math.Max(totalSeconds / workerCount, costs.Max() * scale);
            // The same order with no overhead at all (each job to the first free Worker): what the order alone achieves.
            var ideal = ListSchedule((longestFirst ? costs.OrderDescending().ToList() : costs).Select(c => c * scale), workerCount);

            await using var workers = new WorkerProcesses();
            workers.Start(workerCount, bench, queue, 1, new Dictionary<string, string>
            {
                ["Worker__SimulatedSecondsPerCost"] = scale.ToString("R", CultureInfo.InvariantCulture),
            });
            var storage = app.Services.GetRequiredService<JobStorage>();
            var clock = Stopwatch.StartNew();
            while (storage.GetMonitoringApi().Servers().Count(s => s.Queues.Contains(queue)) < workerCount)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(3)) throw new TimeoutException($"{workerCount} Workers did not start within 3 minutes");
                await Task.Delay(200, ct);
            }
            var sweepId = await LocalServer.SubmitAsync(app, spec, ct);
            await ProgressWatcher.WaitAsync(app, sweepId, ct, () => workers.AnyAlive);
            await using var conn = new NpgsqlConnection(bench);
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("""
                select extract(epoch from finished_at - started_at)::float8, estimated_cost, status = $2, min(started_at) over (), max(finished_at) over ()
                from runs where sweep_id = $1
                """, conn);
            cmd.Parameters.AddWithValue(sweepId);
            cmd.Parameters.AddWithValue(Shared.Domain.RunStatus.Succeeded);
            var durations = new List<double>();
            var overheads = new List<double>();
            double makespan = 0;
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    if (!reader.GetBoolean(2)) throw new InvalidOperationException("a run of the bench did not succeed");
                    durations.Add(reader.GetDouble(0));
                    overheads.Add(reader.GetDouble(0) - reader.GetDouble(1) * scale);
                    makespan = (reader.GetFieldValue<DateTimeOffset>(4) - reader.GetFieldValue<DateTimeOffset>(3)).TotalSeconds;
                }
            }
            // The same bound from each run's measured time (lease to finish: the simulated work plus the run's own database
            // work under this machine's load), so the ratio shows the order alone; what is left is the gaps between jobs.
            var measuredBound = Math.Max(durations.Sum() / workerCount, durations.Max());
            var t = await DispatchTimeline.ReadAsync(conn, sweepId, ct);
            Console.WriteLine($"timeline ({workerCount} {order}): job->lease {t.JobToLease:0.000} s, finish->succeeded {t.FinishToSucceeded:0.000} s, " +
                              $"succeeded->next job {t.SucceededToNextJob:0.000} s, first lease lag {t.FirstLeaseLag:0.000} s, " +
                              $"start order inversions {t.StartOrderInversions}; without overhead this order would take {ideal:0.0} s ({ideal / bound:0.000} x the bound)");
            return new DispatchResult(bound, makespan, measuredBound,
                $"| {workerCount} | {order} | {bound:0.0} | {makespan:0.0} | {makespan / bound:0.00} | {overheads.Average():0.00} | {measuredBound:0.0} | {makespan / measuredBound:0.00} |");
        }
        finally
        {
            await LocalServer.StopAsync(app);
        }
    }

    /// <summary>Makespan of jobs taken in this order, each by the first Worker to be free, with no time between jobs.</summary>
    public static double ListSchedule(IEnumerable<double> seconds, int workers)
    {
        var free = new PriorityQueue<int, double>();
        for (var w = 0; w < workers; w++) free.Enqueue(w, 0);
        var end = 0.0;
        foreach (var s in seconds)
        {
            free.TryDequeue(out var worker, out var at);
            end = Math.Max(end, at + s);
            free.Enqueue(worker, at + s);
        }
        return end;
    }

    /// <summary>The costs the submitter stores for this spec, computed the same way (<see cref="RunCost"/>) without storing it.</summary>
    private static List<double> EstimateCosts(SweepSpec spec)
    {
        var sweep = SpecResolver.Resolve(spec);
        var bytes = System.Text.Encoding.UTF8.GetBytes(spec.CorpusText!);
        var vocabulary = Shared.Domain.Vocabulary.Build(bytes, sweep.Hyperparameters.Vocabulary).Size;
        var characters = sweep.Hyperparameters.Vocabulary == Shared.Domain.VocabularyKinds.Bytes ? bytes.LongLength : System.Text.Encoding.UTF8.GetCharCount(bytes);
        return sweep.Cells().Select(c =>
        {
            var hidden = sweep.HiddenOf(c.Model, c.Layers, c.Size, vocabulary);
            return RunCost.Estimate(c.Model, c.Layers, hidden, vocabulary, sweep.Hyperparameters, bytes.LongLength, characters);
        }).ToList();
    }
}
