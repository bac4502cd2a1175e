using Hangfire;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;

namespace RnnSweep.Orchestrator.Tests.Faults;

/// <summary>A running run with no live worker and no job does not stay without a way forward.</summary>
public sealed class StaleRunReaperTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task RunningRunWithExpiredLeaseAndNoJob_GetsANewJob_WhileALiveLeaseIsLeftAlone()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--Reaper:Interval=00:00:01");
        var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("stale", ["lstm", "gru"]));
        long staleId, liveId;
        string[] deleted;
        await using (var db = host.Db())
        {
            var runs = await db.Runs.Where(r => r.SweepId == sweep).OrderBy(r => r.Id).ToListAsync();
            (staleId, liveId) = (runs[0].Id, runs[1].Id);
            deleted = runs.Select(r => r.JobId!).ToArray();
            foreach (var id in deleted) host.Service<IBackgroundJobClient>().Delete(id); // no worker will see them
            // One worker died an hour ago and its job is gone; another is alive and renewing.
            await db.Runs.Where(r => r.Id == staleId).ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Running)
                .SetProperty(r => r.LeaseOwner, "dead/1").SetProperty(r => r.LeaseExpiresAt, DateTimeOffset.UtcNow.AddHours(-1)));
            await db.Runs.Where(r => r.Id == liveId).ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Running)
                .SetProperty(r => r.LeaseOwner, "alive/1").SetProperty(r => r.LeaseExpiresAt, DateTimeOffset.UtcNow.AddHours(1)));
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using var db = host.Db();
            var stale = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == staleId);
            // Still running (shown as waiting for takeover) until a Worker takes the new job and the lease.
            if (stale.JobId is not null && !deleted.Contains(stale.JobId))
            {
                Assert.Equal(RunStatus.Running, stale.Status);
                var job = host.Service<JobStorage>().GetMonitoringApi().JobDetails(stale.JobId);
                Assert.Equal(nameof(ITrainRunJob.TrainAsync), job.Job.Method.Name);
                Assert.Equal(staleId, (long)job.Job.Args[0]);
                var live = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == liveId);
                Assert.Equal((RunStatus.Running, "alive/1"), (live.Status, live.LeaseOwner));
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"run {staleId} is still {stale.Status} with job {stale.JobId}");
            await Task.Delay(250);
        }
    }
}
