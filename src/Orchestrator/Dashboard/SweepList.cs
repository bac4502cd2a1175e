using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Api;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>A row of the sweep list: the sweep, when its first run started and its last finished, its best test loss.</summary>
/// <param name="BestTestLoss">The lowest test loss of its succeeded runs, nats per character; null until one succeeds.</param>
public sealed record SweepListRow(SweepSummary Summary, DateTimeOffset? Started, DateTimeOffset? Finished, double? BestTestLoss, long? BestRunId)
{
    public int Total => Summary.Runs.Values.Sum();
    public bool IsFinished => Total > 0 && Summary.Runs.Where(kv => RunStatus.IsFinal(kv.Key)).Sum(kv => kv.Value) == Total;
}

/// <summary>The sweep list's rows, for the page and for its live refresh (two queries besides the summaries).</summary>
public static class SweepList
{
    public static async Task<IReadOnlyList<SweepListRow>> LoadAsync(RnnSweepDbContext db, CancellationToken ct)
    {
        var sweeps = await SweepApi.Summaries(db, null, ct);
        var times = await db.Runs.AsNoTracking().GroupBy(r => r.SweepId)
            .Select(g => new { SweepId = g.Key, Started = g.Min(r => r.StartedAt), Finished = g.Max(r => r.FinishedAt) })
            .ToDictionaryAsync(t => t.SweepId, ct);
        // The best run of each sweep: the lowest test loss among succeeded runs (ties: the lowest id), as the loss table marks it.
        var best = await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Succeeded && r.TestLoss != null)
            .GroupBy(r => r.SweepId)
            .Select(g => g.OrderBy(r => r.TestLoss).ThenBy(r => r.Id).Select(r => new { r.SweepId, r.Id, r.TestLoss }).First())
            .ToDictionaryAsync(b => b.SweepId, ct);
        return sweeps.Select(s => new SweepListRow(s, times.GetValueOrDefault(s.Id)?.Started, times.GetValueOrDefault(s.Id)?.Finished,
            best.GetValueOrDefault(s.Id)?.TestLoss, best.GetValueOrDefault(s.Id)?.Id)).ToList();
    }
}
