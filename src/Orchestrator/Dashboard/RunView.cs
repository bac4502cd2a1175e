using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>What the run page shows.</summary>
/// <param name="Open">The unit the visualiser opens on: the largest |r| of any listed unit.</param>
/// <param name="Analyses">Sections 4.2 and 4.3 for this run.</param>
/// <param name="AnalysisGivenUp">Set when the run's analysis will not come: its jobs were given up.</param>
/// <param name="NGramGivenUp">Set when the sweep's n-gram baseline, which Sections 4.2 and 4.3 compare with, will not come.</param>
public sealed record RunView(Run Run, string Sweep, string Corpus, IReadOnlyList<Sample> Samples, IReadOnlyList<InterpretableCell> Units,
    IReadOnlyList<InterpretableThreshold> Thresholds, InterpretableCell? Open, bool HasSaturation, bool HasCells, RunAnalysesView Analyses,
    GivenUpWork? AnalysisGivenUp, GivenUpWork? NGramGivenUp)
{
    /// <summary>
    /// Why Sections 4.2 and 4.3 will not come, when they will not: the first of their two inputs given up, or the run
    /// cancelled (a cancelled run is never analysed).
    /// </summary>
    public string? AnalysesNotComing => AnalysisGivenUp?.Describe("This run's analysis") ?? NGramGivenUp?.Describe("The sweep's n-gram baseline")
        ?? (Run.Status == RunStatus.Cancelled ? MissingAnalysis.Cancelled : null);

    public static async Task<RunView?> LoadAsync(RnnSweepDbContext db, long id, CancellationToken ct)
    {
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == id)
            .Select(r => new { Run = r, Sweep = r.Sweep!.Name, Corpus = r.Sweep.Corpus!.Name }).SingleOrDefaultAsync(ct);
        if (run is null) return null;
        var samples = await db.Samples.AsNoTracking().Where(s => s.RunId == id).OrderBy(s => s.Id).ToListAsync(ct);
        var units = await db.InterpretableCells.AsNoTracking().Where(c => c.RunId == id).OrderBy(c => c.Feature).ThenBy(c => c.Rank).ToListAsync(ct);
        var thresholds = await db.InterpretableThresholds.AsNoTracking().Where(t => t.RunId == id).OrderBy(t => t.Feature).ToListAsync(ct);
        var open = units.OrderByDescending(u => Math.Abs(u.Correlation)).ThenBy(u => u.Layer).ThenBy(u => u.Unit).FirstOrDefault();
        var hasSaturation = await db.GateSaturation.AnyAsync(s => s.RunId == id, ct);
        var hasCells = await db.CellActivations.AnyAsync(c => c.RunId == id, ct);
        var analyses = await RunAnalysesView.LoadAsync(db, id, ct);
        if (analyses is null) return null; // deleted meanwhile
        var analysisGivenUp = run.Run.AnalyzedAt is null ? await GivenUpWork.LoadOneAsync(db, WorkKind.Analysis, id, ct) : null;
        var ngramGivenUp = analyses.Data.IsEmpty && !await db.NGramBaselines.AnyAsync(n => n.SweepId == run.Run.SweepId, ct)
            ? await GivenUpWork.LoadOneAsync(db, WorkKind.NGramBaseline, run.Run.SweepId, ct) : null;
        return new RunView(run.Run, run.Sweep, run.Corpus, samples, units, thresholds, open, hasSaturation, hasCells, analyses, analysisGivenUp, ngramGivenUp);
    }
}
