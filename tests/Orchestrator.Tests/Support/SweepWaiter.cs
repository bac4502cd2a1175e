using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;

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
            await using var context = db();
            var runs = await context.Runs.AsNoTracking().Where(r => r.SweepId == sweepId).OrderBy(r => r.Id).ToListAsync();
            if (runs.Count > 0 && runs.All(r => RunStatus.IsFinal(r.Status) && (!analyzed || r.TestLoss is null || r.AnalyzedAt is not null))) return runs;
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"sweep {sweepId} did not finish in {timeout}: " +
                            string.Join(", ", runs.Select(r => $"{r.Cell} {r.Status} epochs {r.EpochsDone} {r.Error}")) + "\n" + diagnostics?.Invoke());
            }
            await Task.Delay(500);
        }
    }
}
