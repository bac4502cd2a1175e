using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Runs;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>One grid cell of the loss table: its run and where it stands.</summary>
/// <param name="LeaseNote">For a running run whose lease lapsed: "lease expired N s ago, waiting for takeover"; else null.</param>
public sealed record LossCell(long RunId, string Status, int Hidden, int EpochsDone, int MaxEpochs, double? TrainLoss, double? ValLoss, double? TestLoss, string? StopReason,
    string? LeaseNote = null);

public sealed record LossColumn(string Model, int Layers)
{
    public string Label => $"{Model} {Layers}";
}

/// <summary>A row of the table: the hidden size asked for (the LSTM's, when parameter counts are matched).</summary>
public sealed record LossRow(int Size, IReadOnlyList<LossCell?> Cells);

/// <summary>
/// The paper's Table 1 layout: rows are hidden sizes, columns model x layers (models in the order submitted).
/// Each cell is looked up by its (model, layers, hidden) key, never by position, so no cell can be mislabelled.
/// </summary>
public sealed record LossTable(long SweepId, string Sweep, string Corpus, IReadOnlyList<LossColumn> Columns, IReadOnlyList<LossRow> Rows)
{
    public static async Task<LossTable?> LoadAsync(RnnSweepDbContext db, long sweepId, CancellationToken ct)
    {
        var sweep = await db.Sweeps.AsNoTracking().Where(s => s.Id == sweepId)
            .Select(s => new { s.Id, s.Name, Corpus = s.Corpus!.Name, s.Spec }).SingleOrDefaultAsync(ct);
        if (sweep is null) return null;
        var runs = await db.Runs.AsNoTracking().Where(r => r.SweepId == sweepId)
            .Select(r => new { r.Id, r.Model, r.Layers, r.Size, r.Hidden, r.Status, r.EpochsDone, r.TrainLoss, r.ValLoss, r.TestLoss, r.StopReason, r.MaxEpochs, r.LeaseOwner, r.LeaseExpiresAt })
            .ToListAsync(ct);

        var now = DateTimeOffset.UtcNow;
        var resolved = System.Text.Json.JsonSerializer.Deserialize<ResolvedSweep>(sweep.Spec, SpecResolver.Json)!;
        var columns = (from m in resolved.Models from l in resolved.Layers select new LossColumn(ModelName(m), l)).ToList();
        var byCell = runs.ToDictionary(r => (r.Model, r.Layers, r.Size));
        var rows = resolved.HiddenSizes.Select(h => new LossRow(h, columns.Select(c =>
            byCell.TryGetValue((c.Model, c.Layers, h), out var r)
                ? new LossCell(r.Id, r.Status, r.Hidden, r.EpochsDone, r.MaxEpochs, r.TrainLoss, r.ValLoss, r.TestLoss, r.StopReason,
                    LeaseState.ExpiredText(r.Status, r.LeaseOwner, r.LeaseExpiresAt, now))
                : null).ToList())).ToList();
        return new LossTable(sweep.Id, sweep.Name, sweep.Corpus, columns, rows);
    }

    private static string ModelName(Shared.Domain.ModelType m) => Shared.Domain.ModelTypeNames.Name(m);

    /// <summary>The cell with the lowest test loss among succeeded runs.</summary>
    public LossCell? Best() => Rows.SelectMany(r => r.Cells).Where(c => c is { Status: RunStatus.Succeeded, TestLoss: not null })
        .MinBy(c => c!.TestLoss);
}
