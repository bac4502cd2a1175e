using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Bench;

/// <summary>
/// Peak resident memory of one Worker process (started as <c>rnnsweep sweep</c> starts them, allocator settings
/// included) that trains several runs in a row: its VmHWM after each run. A Worker lives for many runs; memory it
/// keeps after a run (fragmented allocator arenas, cached buffers) adds up where a one-run figure cannot see it.
/// </summary>
public static class WorkerMemoryBench
{
    public const string Queue = "bench-memory";

    public static async Task RunAsync(BenchReport report, WebApplication app, string connectionString, int runs, int epochs, CancellationToken ct)
    {
        await using var workers = new WorkerProcesses();
        var threads = Environment.ProcessorCount;
        workers.Start(1, connectionString, Queue, threadsPerWorker: threads);
        var pid = workers.ProcessIds.Single();
        var corpus = BenchCorpus.Text(300_000);
        var peaks = new List<double>();
        var residents = new List<double>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < runs; i++)
        {
            var spec = new SweepSpec
            {
                Name = $"bench-memory-{i + 1}", Preset = Presets.Quick, Corpus = "bench-memory", CorpusText = corpus,
                Models = ["lstm"], Layers = [2], HiddenSizes = [128], Queue = Queue,
                Hyperparameters = new JsonObject { ["maxEpochs"] = epochs, ["patience"] = epochs, ["epochChars"] = 64 * 64 * 40, ["seed"] = i + 1 },
            };
            long sweepId;
            await using (var scope = app.Services.CreateAsyncScope())
            {
                sweepId = (await scope.ServiceProvider.GetRequiredService<SweepSubmitter>().SubmitAsync(spec, null, ct)).Sweep.Id;
            }
            while (true)
            {
                await using var scope = app.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<RnnSweepDbContext>();
                var run = await db.Runs.AsNoTracking().Where(r => r.SweepId == sweepId).Select(r => new { r.Status, r.AnalyzedAt }).SingleAsync(ct);
                if (RunStatus.IsFinal(run.Status) && run.AnalyzedAt is not null) break;
                if (clock.Elapsed > TimeSpan.FromMinutes(15)) throw new TimeoutException($"the memory bench's run {i + 1} did not finish and get analysed in time");
                if (!File.Exists($"/proc/{pid}/status")) throw new InvalidOperationException("the memory bench's Worker exited");
                await Task.Delay(250, ct);
            }
            peaks.Add(StatusBytes(pid, "VmHWM:") / 1e9);
            residents.Add(StatusBytes(pid, "VmRSS:") / 1e9);
        }
        var growth = peaks[^1] / peaks[0];
        report.Add(new BenchRow("7 memory", $"Worker peak resident over {runs} runs, last/first", growth, "ratio", "<= 1.15", growth <= 1.15,
            $"one Worker process ({threads} torch threads, {WorkerProcesses.MallocArenas.Key}={Environment.GetEnvironmentVariable(WorkerProcesses.MallocArenas.Key) ?? WorkerProcesses.MallocArenas.Value}) " +
            $"training {runs} LSTM 2x128 runs in a row ({epochs} epochs of 163,840 chars, batch 64x64, 300 kB corpus), each followed by its analysis job; " +
            $"VmHWM after each run: {string.Join(" / ", peaks.Select(p => p.ToString("0.000")))} GB; " +
            $"resident (VmRSS) between runs: {string.Join(" / ", residents.Select(p => p.ToString("0.000")))} GB"));
    }

    /// <summary>A size in another process's /proc status (VmHWM: its peak resident, VmRSS: its resident now), in bytes.</summary>
    private static long StatusBytes(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024;
    }
}
