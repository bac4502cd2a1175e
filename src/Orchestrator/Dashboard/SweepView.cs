using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Api;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>The sweep's n-gram baseline at one order: test loss in nats per character, and the smoothing used.</summary>
public sealed record NGramRow(int Order, string Smoothing, double TestLoss)
{
    /// <summary>A sweep's n-gram baselines by order; empty until its n-gram job has stored them.</summary>
    public static Task<List<NGramRow>> LoadAsync(RnnSweepDbContext db, long sweepId, CancellationToken ct) =>
        db.NGramBaselines.AsNoTracking().Where(n => n.SweepId == sweepId).OrderBy(n => n.Order)
            .Select(n => new NGramRow(n.Order, n.Smoothing, n.TestLoss)).ToListAsync(ct);
}

/// <summary>A run the sweep page's learning-curve chart can show: its cell and whether it is drawn at first.</summary>
public sealed record CurveChoice(long RunId, string Label, double? TestLoss, bool Selected);

/// <summary>What the sweep page shows, loaded in a handful of queries however large the sweep (one pass over its runs).</summary>
/// <param name="Paper">Show the paper's numbers beside ("paper" vs "ours"): only for its file and protocol (<see cref="PaperTable1.AppliesTo"/>).</param>
/// <param name="Curves">The runs offered in the learning-curve chart (at most <see cref="SweepView.MaxCurveChoices"/>).</param>
/// <param name="Corpus">The stored corpus the sweep trains on, with its recipe when it was built from source files.</param>
/// <param name="NGramGivenUp">Set when the n-gram baseline will not come: its jobs were given up.</param>
public sealed record SweepView(LossTable Table, SweepSummary Summary, IReadOnlyList<NGramRow> NGram, IReadOnlyDictionary<long, string> Errors,
    bool Paper, LossCell? Best, IReadOnlyList<CurveChoice> Curves, int Cells, DateTimeOffset Now, CorpusSummary Corpus, GivenUpWork? NGramGivenUp)
{
    /// <summary>Runs listed beside the chart: every run of a sweep up to this many, else the best this many.</summary>
    public const int MaxCurveChoices = 60;
    /// <summary>Runs drawn when the page opens: the best this many (a chart of more lines is unreadable).</summary>
    public const int InitialCurves = 8;

    public static async Task<SweepView?> LoadAsync(RnnSweepDbContext db, long id, CancellationToken ct)
    {
        var table = await LossTable.LoadAsync(db, id, ct);
        if (table is null) return null;
        var summary = (await SweepApi.Summaries(db, id, ct)).Single();
        var ngram = await NGramRow.LoadAsync(db, id, ct);
        var ngramGivenUp = ngram.Count == 0 ? await GivenUpWork.LoadOneAsync(db, WorkKind.NGramBaseline, id, ct) : null;
        // The loss table carries the stop reason; a failed cell's tooltip shows its error.
        var errors = await db.Runs.AsNoTracking().Where(r => r.SweepId == id && r.Error != null)
            .Select(r => new { r.Id, r.Error }).ToDictionaryAsync(r => r.Id, r => r.Error!, ct);
        var sweep = await db.Sweeps.AsNoTracking().Where(s => s.Id == id).Select(s => new { s.Spec, s.Corpus }).SingleAsync(ct);
        var resolved = JsonSerializer.Deserialize<ResolvedSweep>(sweep.Spec, SpecResolver.Json)!;
        var paper = PaperTable1.AppliesTo(sweep.Corpus!.Sha256, resolved);

        var cells = new List<(LossCell Cell, LossColumn Column)>();
        foreach (var row in table.Rows)
        {
            for (var c = 0; c < table.Columns.Count; c++)
            {
                if (row.Cells[c] is { } cell) cells.Add((cell, table.Columns[c]));
            }
        }
        var best = BestOf(cells.Select(c => c.Cell));
        return new SweepView(table, summary, ngram, errors, paper, best, CurveChoices(cells), cells.Count, DateTimeOffset.UtcNow,
            CorpusSummary.Of(sweep.Corpus), ngramGivenUp);
    }

    /// <summary>The best cell: the lowest test loss among succeeded runs, ties to the lowest run id (the live fragment's rule too).</summary>
    public static LossCell? BestOf(IEnumerable<LossCell> cells) => cells.Where(c => c is { Status: RunStatus.Succeeded, TestLoss: not null })
        .OrderBy(c => c.TestLoss).ThenBy(c => c.RunId).FirstOrDefault();

    /// <summary>Every run in grid order when there are few; else the best <see cref="MaxCurveChoices"/>. The best few start drawn.</summary>
    private static List<CurveChoice> CurveChoices(List<(LossCell Cell, LossColumn Column)> cells)
    {
        var ranked = cells.Where(c => c.Cell.TestLoss is not null).OrderBy(c => c.Cell.TestLoss).ThenBy(c => c.Cell.RunId).ToList();
        var selected = (ranked.Count > 0 ? ranked : cells).Take(InitialCurves).Select(c => c.Cell.RunId).ToHashSet();
        var offered = cells.Count <= MaxCurveChoices ? cells : ranked.Take(MaxCurveChoices).ToList();
        return offered.Select(c => new CurveChoice(c.Cell.RunId, Format.Cell(c.Column.Model, c.Column.Layers, c.Cell.Hidden), c.Cell.TestLoss,
            selected.Contains(c.Cell.RunId))).ToList();
    }
}
