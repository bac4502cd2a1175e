using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Tests.Support;

public static class SweepWaiter
{
    /// <summary>Polls until every run of the sweep is final; fails with the runs' states on timeout.</summary>
    /// <param name="analyzed">Also wait until every run with losses has its analyses stored.</param>
    public static async Task<List<Run>> UntilFinishedAsync(Func<RnnSweepDbContext> db, long sweepId, TimeSpan timeout, Func<string>? diagnostics = null, bool analyzed = false)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            List<Run> runs;
            try
            {
                await using var context = db();
                runs = await context.Runs.AsNoTracking().Where(r => r.SweepId == sweepId).OrderBy(r => r.Id).ToListAsync();
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500); // the database is restarting (a fault test): keep waiting
                continue;
            }
            if (runs.Count > 0 && runs.All(r => RunStatus.IsFinal(r.Status) && (!analyzed || r.TestLoss is null || r.AnalyzedAt is not null))) return runs;
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"sweep {sweepId} did not finish in {timeout}: " +
                            string.Join(", ", runs.Select(r => $"{r.Cell} {r.Status} epochs {r.EpochsDone} {r.Error}")) + "\n" + diagnostics?.Invoke());
            }
            await Task.Delay(500);
        }
    }

    /// <summary>Polls until a run has completed at least <paramref name="epochs"/> epochs.</summary>
    public static async Task UntilEpochsAsync(Func<RnnSweepDbContext> db, long sweepId, int epochs, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using (var context = db())
            {
                if (await context.Runs.AnyAsync(r => r.SweepId == sweepId && r.EpochsDone >= epochs)) return;
            }
            if (DateTime.UtcNow > deadline) Assert.Fail($"no run of sweep {sweepId} reached {epochs} epochs in {timeout}\n{diagnostics?.Invoke()}");
            await Task.Delay(100);
        }
    }
}
