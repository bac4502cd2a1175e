using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Diagnostics;
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
                var run = await db.Runs.AsNoTracking().Where(r => r.SweepId == sweepId).Select(r => new { r.Id, r.Status, r.AnalyzedAt }).SingleAsync(ct);
                // The analysis job writes analyzed_at before it ends and gives its memory back (FreedMemory): wait for
                // the job itself to succeed, so the resident size between runs is read after that.
                var analysisJob = await db.Database.SqlQueryRaw<string>($$"""
                    select j.statename as "Value" from work_jobs w join {{DatabaseSettings.HangfireSchema}}.job j on j.id = w.job_id::bigint
                    where w.kind = {0} and w.subject_id = {1}
                    """, WorkKind.Analysis, run.Id).FirstOrDefaultAsync(ct);
                if (RunStatus.IsFinal(run.Status) && run.AnalyzedAt is not null && analysisJob == Hangfire.States.SucceededState.StateName) break;
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
