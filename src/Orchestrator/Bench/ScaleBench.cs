using System.Diagnostics;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Sweeps;

namespace RnnSweep.Orchestrator.Bench;

/// <summary>Submitting a very large sweep end to end, and reading its loss table and page.</summary>
public static class ScaleBench
{
    public const string Queue = "bench-scale"; // no Worker listens: the jobs stay enqueued

    /// <summary>Cells of the bench's grid (2 models x 5 layer counts x 50 hidden sizes); seeds multiply them into runs.</summary>
    private const int GridCells = 2 * 5 * 50;

    /// <param name="runs">A multiple of 500: the grid's 500 cells times runs / 500 seeds (a spec allows at most 64
    /// hidden sizes, so a large sweep is wide in seeds and axes, as users' large sweeps are).</param>
    public static async Task RunAsync(BenchReport report, WebApplication app, int runs, CancellationToken ct)
    {
        var spec = new SweepSpec
        {
            Name = "bench-scale", Preset = Presets.Quick, Corpus = "bench-grid", CorpusText = BenchCorpus.Text(200_000),
            Models = ["lstm", "gru"], Layers = [1, 2, 3, 4, 5], HiddenSizes = Enumerable.Range(1, 50).ToArray(), Queue = Queue,
            Seeds = Enumerable.Range(1, runs / GridCells).Select(s => (long)s).ToArray(),
        };
        var clock = Stopwatch.StartNew();
        SubmitResult result;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            result = await scope.ServiceProvider.GetRequiredService<SweepSubmitter>().SubmitAsync(spec, null, ct);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var goal = runs >= 10_000 ? "< 10" : "";
        report.Add(new BenchRow("5 scale", $"submit {runs:N0}-run sweep", seconds, "s", goal, goal.Length > 0 ? seconds < 10 : null,
            $"SweepSubmitter.SubmitAsync in-process: validate, store corpus, sweep and {result.Runs:N0} runs, create and enqueue {runs:N0} Hangfire jobs " +
            $"(RunDispatcher), attach job ids; {seconds * 1000 / runs:0.00} ms per run"));

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
            report.Add(new BenchRow("5 scale", $"{name}, {runs:N0} runs in {GridCells} cells", median, "ms", runs >= 10_000 ? "< 300" : "", runs >= 10_000 ? median < 300 : null,
                $"GET {path.Replace(result.Sweep.Id.ToString(), "{id}")} over loopback HTTP, median of 5 after a warm-up (min {times[0]:0} ms, max {times[^1]:0} ms), {bytes / 1e6:0.0} MB"));
        }
    }
}
