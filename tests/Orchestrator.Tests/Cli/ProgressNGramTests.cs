using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.Tests.Faults;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Tests.Cli;

/// <summary>The progress line says when a Worker computes the sweep's n-gram baseline, and only then.</summary>
[Collection(DatabaseCollection.Name)]
public sealed class ProgressNGramTests(PostgresFixture postgres)
{
    [Fact]
    public async Task TheNGramBaseline_IsSaidWhileItsJobIsProcessing_AndNotOnceItsRowsAreStored()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--Reaper:Interval=01:00:00");
        var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("ngram progress"));
        await using var db = host.Db();
        // The submit enqueued the baseline's job; no Worker listens, so it waits.
        var job = long.Parse(await db.WorkJobs.Where(w => w.Kind == WorkKind.NGramBaseline && w.SubjectId == sweep).Select(w => w.JobId).SingleAsync());
        Assert.False(await ProgressWatcher.ComputingNGramAsync(db, sweep, CancellationToken.None));

        await db.Database.ExecuteSqlAsync($"update hangfire.job set statename = 'Processing' where id = {job}");
        Assert.True(await ProgressWatcher.ComputingNGramAsync(db, sweep, CancellationToken.None));
        Assert.False(await ProgressWatcher.ComputingNGramAsync(db, sweep + 1, CancellationToken.None)); // another sweep's

        db.NGramBaselines.Add(new NGramBaseline { SweepId = sweep, Order = 1, Smoothing = "interpolated Kneser-Ney", TestLoss = 3.1, CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
        Assert.False(await ProgressWatcher.ComputingNGramAsync(db, sweep, CancellationToken.None));
    }
}
