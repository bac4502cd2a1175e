using System.Diagnostics;
using System.Text.Json.Nodes;
using Hangfire;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Bench;

/// <summary>
/// Enqueue-to-start latency of a job on an idle Worker, and how busy two Workers are while a 12-cell grid runs.
/// The Workers are real Worker processes (as <c>rnnsweep sweep</c> starts them), one torch thread each.
/// </summary>
public static class OrchestrationBench
{
    public const string Queue = "bench";

    public static async Task RunAsync(BenchReport report, WebApplication app, string connectionString, int pings, CancellationToken ct)
    {
        await using var workers = new WorkerProcesses();
        workers.Start(2, connectionString, Queue, threadsPerWorker: 1);
        var storage = app.Services.GetRequiredService<JobStorage>();
        await WaitForServersAsync(storage, 2, ct);

        await LatencyAsync(report, app, storage, pings, ct);
        await GridAsync(report, app, connectionString, ct);
    }

    private static async Task WaitForServersAsync(JobStorage storage, int count, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (storage.GetMonitoringApi().Servers().Count(s => s.Queues.Contains(Queue)) < count)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException("the bench's Worker processes did not start within 2 minutes");
            await Task.Delay(200, ct);
        }
    }

    /// <summary>
    /// ISampleJob for a sample id that does not exist: the job starts, finds nothing and ends, so the figure is
    /// Hangfire's own path (enqueue, NOTIFY, fetch, Processing). Latency = Processing state's time minus the
    /// Enqueued state's time, both written by Hangfire on this machine's clock; one job at a time on idle Workers.
    /// </summary>
    private static async Task LatencyAsync(BenchReport report, WebApplication app, JobStorage storage, int pings, CancellationToken ct)
    {
        var jobs = app.Services.GetRequiredService<IBackgroundJobClient>();
        var monitoring = storage.GetMonitoringApi();
        var latencies = new List<double>();
        for (var i = 0; i < pings + 2; i++)
        {
            var id = jobs.Enqueue<ISampleJob>(JobQueues.Priority(Queue), j => j.SampleAsync(-1, CancellationToken.None)); // where the product sends samples
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var details = monitoring.JobDetails(id);
                var history = details?.History ?? [];
                var enqueued = history.FirstOrDefault(h => h.StateName == EnqueuedState.StateName);
                var processing = history.FirstOrDefault(h => h.StateName == ProcessingState.StateName);
                if (enqueued is not null && processing is not null && history.Any(h => h.StateName == SucceededState.StateName))
                {
                    if (i >= 2) latencies.Add((processing.CreatedAt - enqueued.CreatedAt).TotalMilliseconds); // two warm-up jobs
                    break;
                }
                if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"job {id} did not run within 60 s");
                await Task.Delay(5, ct);
            }
            await Task.Delay(50, ct); // the worker is idle again, waiting on LISTEN
        }
        latencies.Sort();
        double Pct(double p) => latencies[(int)Math.Min(latencies.Count - 1, Math.Ceiling(p * latencies.Count) - 1)];
        var how = $"{pings} ISampleJob (unknown sample id: starts and ends at once) enqueued one at a time on the priority queue, as samples are, to 2 idle Worker processes; " +
                  $"Processing minus Enqueued state time from Hangfire's history; min {latencies[0]:0.0} ms, max {latencies[^1]:0.0} ms";
        report.Add(new BenchRow("4 orchestration", "enqueue-to-start median", Pct(0.5), "ms", "< 50", Pct(0.5) < 50, how));
        report.Add(new BenchRow("4 orchestration", "enqueue-to-start p95", Pct(0.95), "ms", "< 250", Pct(0.95) < 250, how));
    }

    /// <summary>A 12-cell grid of short cells on two Workers; busy share of every job, and of the training runs alone.</summary>
    private static async Task GridAsync(BenchReport report, WebApplication app, string connectionString, CancellationToken ct)
    {
        var spec = new SweepSpec
        {
            Name = "bench-grid", Preset = Presets.Quick, Corpus = "bench-grid", CorpusText = BenchCorpus.Text(200_000),
            Models = ["lstm", "gru", "rnn"], Layers = [1, 2], HiddenSizes = [32, 64], Queue = Queue,
            Hyperparameters = new JsonObject { ["maxEpochs"] = 2, ["epochChars"] = 64 * 50 * 20, ["batchSize"] = 64, ["seqLength"] = 50 },
        };
        var clock = Stopwatch.StartNew();
        long sweepId;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            sweepId = (await scope.ServiceProvider.GetRequiredService<SweepSubmitter>().SubmitAsync(spec, null, ct)).Sweep.Id;
        }
        List<(DateTimeOffset Start, DateTimeOffset End)> intervals;
        while (true)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RnnSweepDbContext>();
            var runs = await db.Runs.AsNoTracking().Where(r => r.SweepId == sweepId).Select(r => new { r.Status, r.StartedAt, r.FinishedAt }).ToListAsync(ct);
            if (runs.All(r => RunStatus.IsFinal(r.Status)))
            {
                intervals = runs.Where(r => r.StartedAt is not null && r.FinishedAt is not null).Select(r => (r.StartedAt!.Value, r.FinishedAt!.Value)).ToList();
                break;
            }
            if (clock.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException("the 12-cell grid did not finish within 10 minutes");
            await Task.Delay(500, ct);
        }
        var runsShare = BusyShare(intervals, 2, out var window);
        var jobIntervals = await HangfireJobIntervalsAsync(connectionString, ct);
        var jobsShare = BusyShare(jobIntervals, 2, out _);
        // Every job counts: a finished run's analysis and the sweep's n-gram baseline go before the queued training jobs
        // (JobQueues), so the runs alone leave gaps that are the Workers' own work, not idle time.
        var how = $"lstm/gru/rnn x 1,2 layers x 32,64 hidden, 2 epochs of 64k chars, 200 kB corpus, 2 Workers x 1 thread; integral of min(running jobs, 2) / 2 " +
                  $"over the grid's first to last job, from Hangfire's Processing..Succeeded of every job (train, analysis, n-gram)";
        report.Add(new BenchRow("4 orchestration", "12-cell grid, two workers busy (every job)", jobsShare, "fraction", ">= 0.95", jobsShare >= 0.95, how));
        report.Add(new BenchRow("4 orchestration", "12-cell grid, two workers busy (training only)", runsShare, "fraction", "", null,
            $"the same over runs.started_at .. finished_at alone ({window.TotalSeconds:0.0} s from the first start to the last finish): analyses and the " +
            "n-gram baseline run between the cells, before the queued training jobs"));
    }

    private static async Task<List<(DateTimeOffset, DateTimeOffset)>> HangfireJobIntervalsAsync(string connectionString, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            select min(p.createdat), max(f.createdat) from hangfire.state p
            join hangfire.state f on f.jobid = p.jobid and f.name in ('Succeeded', 'Failed', 'Deleted')
            where p.name = 'Processing' and p.jobid > (select max(jobid) - 1000 from hangfire.state)
              and p.createdat > now() at time zone 'utc' - interval '15 minutes'
              and exists (select 1 from hangfire.job j where j.id = p.jobid and j.invocationdata::text not like '%ISampleJob%')
            group by p.jobid
            """, conn);
        var result = new List<(DateTimeOffset, DateTimeOffset)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result.Add((new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Utc)),
                        new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc))));
        }
        return result;
    }

    /// <summary>The integral of min(active, slots) / slots over [first start, last end].</summary>
    internal static double BusyShare(IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> intervals, int slots, out TimeSpan window)
    {
        window = TimeSpan.Zero;
        if (intervals.Count == 0) return 0;
        var events = intervals.SelectMany(i => new[] { (Time: i.Start, Delta: 1), (Time: i.End, Delta: -1) }).OrderBy(e => e.Time).ThenBy(e => e.Delta).ToList();
        double busy = 0;
        var active = 0;
        var previous = events[0].Time;
        foreach (var (time, delta) in events)
        {
            busy += Math.Min(active, slots) * (time - previous).TotalSeconds;
            active += delta;
            previous = time;
        }
        window = events[^1].Time - events[0].Time;
        return window.TotalSeconds > 0 ? busy / (slots * window.TotalSeconds) : 0;
    }
}
