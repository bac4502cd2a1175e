using System.Diagnostics;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.Sweeps;

namespace RnnSweep.Orchestrator.Bench;

/// <summary>Submitting a very large sweep end to end, and reading its loss table and page.</summary>
public static class ScaleBench
{
    public const string Queue = "bench-scale"; // no Worker listens: the jobs stay enqueued

    public static async Task RunAsync(BenchReport report, WebApplication app, int hiddenSizes, CancellationToken ct)
    {
        var spec = new SweepSpec
        {
            Name = "bench-scale", Preset = Presets.Quick, Corpus = "bench-grid", CorpusText = BenchCorpus.Text(200_000),
            Models = ["lstm", "gru"], Layers = [1, 2, 3, 4, 5], HiddenSizes = Enumerable.Range(1, hiddenSizes).ToArray(), Queue = Queue,
        };
        var cells = 2 * 5 * hiddenSizes;
        var clock = Stopwatch.StartNew();
        SubmitResult result;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            result = await scope.ServiceProvider.GetRequiredService<SweepSubmitter>().SubmitAsync(spec, null, ct);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var goal = cells >= 10_000 ? "< 10" : "";
        report.Add(new BenchRow("5 scale", $"submit {cells:N0}-cell sweep", seconds, "s", goal, goal.Length > 0 ? seconds < 10 : null,
            $"SweepSubmitter.SubmitAsync in-process: validate, store corpus, sweep and {result.Runs:N0} runs, create and enqueue {cells:N0} Hangfire jobs " +
            $"(RunDispatcher), attach job ids; {seconds * 1000 / cells:0.00} ms per cell"));

        using var http = new HttpClient { BaseAddress = new Uri(LocalServer.Address(app)) };
        foreach (var (name, path) in new[] { ("loss-table API", $"/api/sweeps/{result.Sweep.Id}/loss-table"), ("sweep page", $"/sweeps/{result.Sweep.Id}") })
        {
            var times = new List<double>();
            long bytes = 0;
            for (var i = 0; i < 6; i++)
            {
                var request = Stopwatch.StartNew();
                using var response = await http.GetAsync(path, ct);
                response.EnsureSuccessStatusCode();
                bytes = (await response.Content.ReadAsByteArrayAsync(ct)).Length;
                if (i > 0) times.Add(request.Elapsed.TotalMilliseconds); // the first request warms up EF Core's query cache
            }
            times.Sort();
            var median = times[times.Count / 2];
            report.Add(new BenchRow("5 scale", $"{name}, {cells:N0} cells", median, "ms", cells >= 10_000 ? "< 300" : "", cells >= 10_000 ? median < 300 : null,
                $"GET {path.Replace(result.Sweep.Id.ToString(), "{id}")} over loopback HTTP, median of 5 after a warm-up (min {times[0]:0} ms, max {times[^1]:0} ms), {bytes / 1e6:0.0} MB"));
        }
    }
}
