using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>What <c>/sweeps/{id}/tables</c> shows: one view of the sweep's loss table and its estimated time to finish.</summary>
public sealed record SweepTablesView(LossTable Table, SweepEstimate? Estimate)
{
    /// <summary>The view's table, or null when there is no such sweep.</summary>
    /// <exception cref="Shared.Domain.ValidationException"><paramref name="view"/> or <paramref name="slice"/> is not one of the sweep's.</exception>
    public static async Task<SweepTablesView?> LoadAsync(RnnSweepDbContext db, long id, string? view, string? slice, CancellationToken ct) =>
        await LossTable.LoadAsync(db, id, view ?? LossTableViews.Best, slice, ct) is { } table ? new(table, await SweepEstimate.LoadAsync(db, id, ct)) : null;

    /// <summary>Every combination of axis values as a slice (<c>dropout=0,seed=1</c>), in the axes' order.</summary>
    public IEnumerable<string> Slices()
    {
        IEnumerable<string> slices = [""];
        foreach (var (name, values) in Table.Axes ?? new Dictionary<string, System.Text.Json.JsonElement[]>())
        {
            slices = slices.SelectMany(s => values.Select(v => (s.Length == 0 ? "" : s + ",") + $"{name}={v.GetRawText().Trim('"')}")).ToList();
        }
        return slices;
    }
}
