using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>What <c>/sweeps/{id}/analyses</c> shows (<see cref="SweepAnalysesPage"/>): Sections 4.2 and 4.3 over every analysed run.</summary>
/// <param name="Paper">Show the paper's figures beside: only for its file and protocol (<see cref="PaperTable1.AppliesTo"/>).</param>
/// <param name="Names">"run 3: lstm 1x64" for every run of the sweep.</param>
/// <param name="Best">The analysed run with the lowest test loss, whose comparison with the n-gram the page shows; null if none.</param>
public sealed record SweepAnalysesView(long SweepId, string Sweep, string Corpus, bool Paper, PaperAnalyses.Data Data, IReadOnlyDictionary<long, string> Names, long? Best)
{
    /// <summary>The sweep's analyses, or null when there is no such sweep.</summary>
    public static async Task<SweepAnalysesView?> LoadAsync(RnnSweepDbContext db, long id, CancellationToken ct)
    {
        var sweep = await db.Sweeps.AsNoTracking().Where(s => s.Id == id).Select(s => new { s.Name, s.Spec, s.Corpus!.Sha256, Corpus = s.Corpus.Name }).SingleOrDefaultAsync(ct);
        if (sweep is null) return null;
        var data = await PaperAnalyses.LoadAsync(db, id, null, ct);
        var names = await PaperAnalysesCharts.RunNamesAsync(db, id, ct);
        var analysed = data.Comparison.Select(c => c.RunId).ToList();
        var best = analysed.Count == 0 ? null : await db.Runs.AsNoTracking().Where(r => r.SweepId == id && r.TestLoss != null && analysed.Contains(r.Id))
            .OrderBy(r => r.TestLoss).Select(r => (long?)r.Id).FirstOrDefaultAsync(ct);
        return new SweepAnalysesView(id, sweep.Name, sweep.Corpus, PaperApplies(sweep.Spec, sweep.Sha256), data, names, best);
    }

    /// <summary>Whether a sweep of this resolved spec on a corpus of this checksum compares with the paper's figures.</summary>
    internal static bool PaperApplies(string spec, string corpusSha256)
    {
        var resolved = JsonSerializer.Deserialize<ResolvedSweep>(spec, SpecResolver.Json)!;
        return PaperTable1.AppliesTo(corpusSha256, resolved);
    }
}

/// <summary>The run page's Sections 4.2 and 4.3 (<see cref="RunAnalyses"/>): this run's error breakdown and its comparison with the n-gram.</summary>
public sealed record RunAnalysesView(long RunId, long SweepId, bool Paper, PaperAnalyses.Data Data)
{
    /// <summary>The run's analyses, or null when there is no such run.</summary>
    public static async Task<RunAnalysesView?> LoadAsync(RnnSweepDbContext db, long runId, CancellationToken ct)
    {
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.SweepId, r.Sweep!.Spec, r.Sweep.Corpus!.Sha256 }).SingleOrDefaultAsync(ct);
        if (run is null) return null;
        var data = await PaperAnalyses.LoadAsync(db, run.SweepId, runId, ct);
        return new RunAnalysesView(runId, run.SweepId, !data.IsEmpty && SweepAnalysesView.PaperApplies(run.Spec, run.Sha256), data);
    }

    /// <summary>The tables name this run "this run".</summary>
    public IReadOnlyDictionary<long, string> Names => new Dictionary<long, string> { [RunId] = "this run" };
}
