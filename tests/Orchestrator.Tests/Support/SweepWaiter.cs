using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Tests.Support;

public static class SweepWaiter
{
    /// <summary>Polls until every run of the sweep is final; fails with the runs' states on timeout.</summary>
    public static async Task<List<Run>> UntilFinishedAsync(Func<RnnSweepDbContext> db, long sweepId, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var context = db();
            var runs = await context.Runs.AsNoTracking().Where(r => r.SweepId == sweepId).OrderBy(r => r.Id).ToListAsync();
            if (runs.Count > 0 && runs.All(r => RunStatus.IsFinal(r.Status))) return runs;
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"sweep {sweepId} did not finish in {timeout}: " +
                            string.Join(", ", runs.Select(r => $"{r.Cell} {r.Status} epochs {r.EpochsDone} {r.Error}")) + "\n" + diagnostics?.Invoke());
            }
            await Task.Delay(500);
        }
    }
}
