using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Api;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// What the sweep page's live fragment (<see cref="SweepLive"/>) redraws: the cells that can still change (queued,
/// running) or finished since <c>since</c>, the best cell and the one the page marks, the counts, the n-gram
/// baseline and each table's colour scale. A few small queries per poll however large the sweep.
/// </summary>
/// <param name="Scales">Each loss table's colour scale (<see cref="Format.Scale"/>) by its kind: test, val, train.</param>
/// <param name="Busy">Cells are still queued or running, or the n-gram baseline is not there yet (and not given up): poll sooner.</param>
/// <param name="NGramGivenUp">Set when the n-gram baseline will not come: its jobs were given up.</param>
public sealed record SweepLiveView(long SweepId, DateTimeOffset Now, IReadOnlyDictionary<string, int> Counts, IReadOnlyList<LossCell> Cells,
    IReadOnlyDictionary<long, string> Errors, IReadOnlyList<NGramRow> NGram, LossCell? Best, IReadOnlyDictionary<string, string> Scales, bool Busy,
    GivenUpWork? NGramGivenUp)
{
    /// <param name="shownBest">The run the page marks as best now: sent again (unmarked) when another run has become the best.</param>
    public static async Task<SweepLiveView?> LoadAsync(RnnSweepDbContext db, long id, DateTimeOffset? since, long? shownBest, CancellationToken ct)
    {
        if (!await db.Sweeps.AnyAsync(s => s.Id == id, ct)) return null;
        var now = DateTimeOffset.UtcNow;
        var earliest = DateTimeOffset.MinValue.AddYears(1);
        var from = since is { } t && t > earliest ? t - LiveApi.ClockMargin : earliest; // a time near year 1 must not underflow
        var bestId = await db.Runs.AsNoTracking().Where(r => r.SweepId == id && r.Status == RunStatus.Succeeded && r.TestLoss != null)
            .OrderBy(r => r.TestLoss).ThenBy(r => r.Id).Select(r => (long?)r.Id).FirstOrDefaultAsync(ct);
        var changing = new[] { RunStatus.Queued, RunStatus.Running };
        var runs = await db.Runs.AsNoTracking()
            .Where(r => r.SweepId == id && (changing.Contains(r.Status) || r.FinishedAt == null || r.FinishedAt >= from || r.Id == bestId || r.Id == shownBest))
            .OrderBy(r => r.Id)
            .Select(r => new { r.Id, r.Status, r.Hidden, r.EpochsDone, r.MaxEpochs, r.TrainLoss, r.ValLoss, r.TestLoss, r.StopReason, r.Error, r.LeaseOwner, r.LeaseExpiresAt })
            .ToListAsync(ct);
        var cells = runs.Select(r => new LossCell(r.Id, r.Status, r.Hidden, r.EpochsDone, r.MaxEpochs, r.TrainLoss, r.ValLoss, r.TestLoss, r.StopReason,
            LeaseState.ExpiredText(r.Status, r.LeaseOwner, r.LeaseExpiresAt, now))).ToList();
        var errors = runs.Where(r => r.Error is not null).ToDictionary(r => r.Id, r => r.Error!);

        var counts = await db.Runs.AsNoTracking().Where(r => r.SweepId == id).GroupBy(r => r.Status)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        // Each table's range over all its values (as the page computes it); NaN and infinity sort above 1e300 in PostgreSQL.
        var range = await db.Runs.AsNoTracking().Where(r => r.SweepId == id).GroupBy(r => 1).Select(g => new
        {
            TestLo = g.Min(r => r.TestLoss < Finite ? r.TestLoss : null), TestHi = g.Max(r => r.TestLoss < Finite ? r.TestLoss : null),
            ValLo = g.Min(r => r.ValLoss < Finite ? r.ValLoss : null), ValHi = g.Max(r => r.ValLoss < Finite ? r.ValLoss : null),
            TrainLo = g.Min(r => r.TrainLoss < Finite ? r.TrainLoss : null), TrainHi = g.Max(r => r.TrainLoss < Finite ? r.TrainLoss : null),
        }).SingleOrDefaultAsync(ct);
        var scales = new Dictionary<string, string>
        {
            ["test"] = Format.Scale([range?.TestLo, range?.TestHi]),
            ["val"] = Format.Scale([range?.ValLo, range?.ValHi]),
            ["train"] = Format.Scale([range?.TrainLo, range?.TrainHi]),
        };
        var ngram = await NGramRow.LoadAsync(db, id, ct);
        var ngramGivenUp = ngram.Count == 0 ? await GivenUpWork.LoadOneAsync(db, WorkKind.NGramBaseline, id, ct) : null;
        var fullCounts = RunStatus.All.ToDictionary(s => s, s => counts.GetValueOrDefault(s));
        var busy = fullCounts.Any(kv => kv.Value > 0 && !RunStatus.IsFinal(kv.Key)) || (ngram.Count == 0 && ngramGivenUp is null);
        return new SweepLiveView(id, now, fullCounts, cells, errors, ngram, cells.FirstOrDefault(c => c.RunId == bestId), scales, busy, ngramGivenUp);
    }

    private const double Finite = 1e300;
}
