using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Diagnostics;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;
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

    /// <summary>Jobs waiting or running on the Hangfire queues {0} (Hangfire.PostgreSql removes a job's row when it ends).</summary>
    private static readonly string QueuedJobsSql = $"select count(*)::int as \"Value\" from {DatabaseSettings.HangfireSchema}.jobqueue where queue = any({{0}})";

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
                var run = await db.Runs.AsNoTracking().Where(r => r.SweepId == sweepId).Select(r => new { r.Id, r.Status, r.AnalyzedAt }).SingleAsync(ct);
                // The analysis job writes analyzed_at (and forgets its work_jobs row) before it ends and gives its
                // memory back (FreedMemory): wait until no job waits for or runs on the Worker's queues, so the resident
                // size between runs is read after that. (Waiting for the work_jobs row's job to succeed never ended
                // once the row was deleted with the stored analysis.)
                var busy = await db.Database.SqlQueryRaw<int>(QueuedJobsSql, (object)JobQueues.ListenedTo([Queue])).SingleAsync(ct);
                if (RunStatus.IsFinal(run.Status) && run.AnalyzedAt is not null && busy == 0) break;
                if (clock.Elapsed > TimeSpan.FromMinutes(15)) throw new TimeoutException($"the memory bench's run {i + 1} did not finish and get analysed in time");
                if (!File.Exists($"/proc/{pid}/status")) throw new InvalidOperationException("the memory bench's Worker exited");
                await Task.Delay(250, ct);
            }
            peaks.Add(ProcStatus.Bytes("VmHWM:", pid) / 1e9);
            residents.Add(ProcStatus.Bytes("VmRSS:", pid) / 1e9);
        }
        var growth = peaks[^1] / peaks[0];
        report.Add(new BenchRow("7 memory", $"Worker peak resident over {runs} runs, last/first", growth, "ratio", "<= 1.15", growth <= 1.15,
            $"one Worker process ({threads} torch threads, {WorkerAllocator.Describe()}) " +
            $"training {runs} LSTM 2x128 runs in a row ({epochs} epochs of 163,840 chars, batch 64x64, 300 kB corpus), each followed by its analysis job; " +
            $"VmHWM after each run: {string.Join(" / ", peaks.Select(p => p.ToString("0.000")))} GB; " +
            $"resident (VmRSS) between runs: {string.Join(" / ", residents.Select(p => p.ToString("0.000")))} GB"));
    }
}
