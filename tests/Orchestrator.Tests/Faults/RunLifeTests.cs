using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Tests.Faults;

/// <summary>The run state machine on its own, against PostgreSQL, with no Worker process: each transition and its guards.</summary>
public sealed class RunLifeTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    private static EpochCommit Epoch(int epoch) => new(epoch, 1.5, 1.4, 0.5, 2e-3, 1.0, 1000, 1, 1234, epoch, true,
        new StoredCheckpoint(epoch, 1.4, [1, 2, 3], [4, 5], "{}"));

    private static readonly RunOutcome Succeeded = new(RunStatus.Succeeded, 1.5, 1.4, 1.45, StopKind.MaxEpochs, "reached maxEpochs 2", null);

    [Fact]
    public async Task Cancel_WinsOverEveryLaterWriteOfTheWorker_AndResumeTakesItBack()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--Reaper:Interval=01:00:00");
        var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("state machine", maxEpochs: 2));
        using var life = new RunLife(host.ConnectionString, TimeSpan.FromSeconds(5));
        var run = await RunAsync(host, sweep);

        Assert.Equal(1, await life.AcquireLeaseAsync(run.Id, "a/1/x", Lease, CancellationToken.None));
        Assert.Null(await life.AcquireLeaseAsync(run.Id, "b/2/y", Lease, CancellationToken.None)); // held
        Assert.Equal(2, await life.CommitEpochAsync(run.Id, "a/1/x", Epoch(1), CancellationToken.None)); // returns the cap
        Assert.Null(await life.CommitEpochAsync(run.Id, "b/2/y", Epoch(2), CancellationToken.None)); // not the holder

        Assert.Single(await life.CancelAsync(sweep, null, CancellationToken.None));
        Assert.Null(await life.CommitEpochAsync(run.Id, "a/1/x", Epoch(2), CancellationToken.None));
        Assert.False(await life.RenewLeaseAsync(run.Id, "a/1/x", Lease, CancellationToken.None));
        Assert.False(await life.FinishAsync(run.Id, "a/1/x", Succeeded, CancellationToken.None));
        Assert.False(await life.ReleaseLeaseAsync(run.Id, "a/1/x", CancellationToken.None));
        Assert.Null(await life.AcquireLeaseAsync(run.Id, "b/2/y", Lease, CancellationToken.None));
        run = await RunAsync(host, sweep);
        Assert.Equal((RunStatus.Cancelled, 1, (string?)null), (run.Status, run.EpochsDone, run.LeaseOwner));

        Assert.Equal(new[] { run.Id }, await life.ResumeAsync(sweep, null, null, CancellationToken.None));
        Assert.Equal(2, await life.AcquireLeaseAsync(run.Id, "b/2/y", Lease, CancellationToken.None));
        Assert.Equal(2, await life.CommitEpochAsync(run.Id, "b/2/y", Epoch(2), CancellationToken.None));
        Assert.True(await life.FinishAsync(run.Id, "b/2/y", Succeeded, CancellationToken.None));
        run = await RunAsync(host, sweep);
        Assert.Equal((RunStatus.Succeeded, 2, StopKind.MaxEpochs), (run.Status, run.EpochsDone, run.StopKind));
        Assert.Empty(await life.CancelAsync(sweep, null, CancellationToken.None)); // an ended run is not cancelled
        Assert.Empty(await life.ResumeAsync(sweep, null, null, CancellationToken.None)); // nor resumed at its own cap
        Assert.Equal(new[] { run.Id }, await life.ResumeAsync(sweep, null, 3, CancellationToken.None)); // a higher cap continues it
        Assert.Equal(3, (await RunAsync(host, sweep)).MaxEpochs);
    }

    /// <summary>
    /// A Worker frozen past Hangfire's server timeout comes back as a new server: its job stays "Processing" under the
    /// old server id with no queue row, and nothing would ever run it again. Seen on a real sweep after a 13-minute pause.
    /// </summary>
    [Fact]
    public async Task QueuedRun_WhoseJobIsProcessingOnAServerThatIsGone_IsStranded_AndOnALiveServerIsNot()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--Reaper:Interval=01:00:00");
        var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("zombie job"));
        using var life = new RunLife(host.ConnectionString, TimeSpan.FromSeconds(5));
        await using var db = host.Db();
        var run = await db.Runs.AsNoTracking().SingleAsync(r => r.SweepId == sweep);
        Assert.Empty(await life.FindStrandedAsync(sweep, TimeSpan.Zero, CancellationToken.None));

        // The job as Hangfire leaves it: Processing on server "frozen-worker:1", fetched from the queue and gone from it.
        var job = long.Parse(run.JobId!);
        await db.Database.ExecuteSqlAsync($"delete from hangfire.jobqueue where jobid = {job}");
        await db.Database.ExecuteSqlRawAsync("""
            with s as (insert into hangfire.state (jobid, name, createdat, data)
                       values ({0}, 'Processing', now(), '{{"ServerId": "frozen-worker:1", "WorkerId": "w"}}'::jsonb) returning id)
            update hangfire.job set stateid = (select id from s), statename = 'Processing' where id = {0}
            """, job);
        Assert.Equal(new[] { (run.Id, RunStatus.Queued) }, (await life.FindStrandedAsync(sweep, TimeSpan.Zero, CancellationToken.None)).Select(s => (s.RunId, s.Status)));

        // While that server is registered (alive, heartbeating), the job is its to run.
        await db.Database.ExecuteSqlRawAsync("insert into hangfire.server (id, data, lastheartbeat) values ('frozen-worker:1', '{{}}'::jsonb, now())");
        Assert.Empty(await life.FindStrandedAsync(sweep, TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public async Task StrandedRuns_AreQueuedRunsWithoutALiveJob_AndRunningRunsWithALapsedLease()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--Reaper:Interval=01:00:00");
        var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("stranded", ["lstm", "gru"]));
        using var life = new RunLife(host.ConnectionString, TimeSpan.FromSeconds(5));
        await using var db = host.Db();
        var runs = await db.Runs.AsNoTracking().Where(r => r.SweepId == sweep).OrderBy(r => r.Id).ToListAsync();
        Assert.Empty(await life.FindStrandedAsync(sweep, TimeSpan.Zero, CancellationToken.None)); // both have an enqueued job

        // One run's job disappears; the other's Worker takes it with a lease that has already lapsed.
        await db.Database.ExecuteSqlAsync($"update runs set job_id = '999999' where id = {runs[0].Id}");
        Assert.NotNull(await life.AcquireLeaseAsync(runs[1].Id, "dead/1/x", TimeSpan.FromMilliseconds(1), CancellationToken.None));
        await db.Database.ExecuteSqlAsync($"delete from hangfire.jobqueue; update hangfire.job set statename = 'Processing'");
        await Task.Delay(50);

        var stranded = await life.FindStrandedAsync(sweep, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(new[] { (runs[0].Id, RunStatus.Queued), (runs[1].Id, RunStatus.Running) }, stranded.Select(s => (s.RunId, s.Status)));
        // Within the grace a lapsed lease is left to its Worker; a queued run without a job is not.
        Assert.Equal(new[] { runs[0].Id }, (await life.FindStrandedAsync(sweep, TimeSpan.FromHours(1), CancellationToken.None)).Select(s => s.RunId));

        // Attaching needs the job the run was found with: of two dispatchers, one wins.
        var first = await life.AttachJobsAsync([runs[0].Id], ["999999"], ["1000001"], CancellationToken.None);
        var second = await life.AttachJobsAsync([runs[0].Id], ["999999"], ["1000002"], CancellationToken.None);
        Assert.Equal(new[] { runs[0].Id }, first);
        Assert.Empty(second);
    }

    /// <summary>
    /// Checkpoint bytes are stored as they are: the server never tries to compress them (a 65 MB attempt that fails on
    /// trained weights costs it about 0.7 s of CPU per epoch while the next epoch trains). Zeros would compress to
    /// almost nothing, so a stored size equal to the length shows that no compression was tried, for the latest
    /// checkpoint and for the best one copied from it inside the database.
    /// </summary>
    [Fact]
    public async Task CheckpointBytes_AreStoredUncompressed_EvenWhenTheyWouldCompress()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--Reaper:Interval=01:00:00");
        var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("uncompressed checkpoints", maxEpochs: 2));
        using var life = new RunLife(host.ConnectionString, TimeSpan.FromSeconds(5));
        var run = await RunAsync(host, sweep);
        Assert.Equal(1, await life.AcquireLeaseAsync(run.Id, "a/1/x", Lease, CancellationToken.None));
        var zeros = new EpochCommit(1, 1.5, 1.4, 0.5, 2e-3, 1.0, 1000, 1, 1234, 1, true,
            new StoredCheckpoint(1, 1.4, new byte[300_000], new byte[600_000], "{}"));
        Assert.Equal(2, await life.CommitEpochAsync(run.Id, "a/1/x", zeros, CancellationToken.None));

        await using var db = host.Db();
        var stored = await db.Database.SqlQueryRaw<StoredSize>("""
            select kind as "Kind", octet_length(model_state) as "ModelLength", pg_column_size(model_state) as "ModelStored",
                   octet_length(optimizer_state) as "OptimizerLength", pg_column_size(optimizer_state) as "OptimizerStored"
            from checkpoints where run_id = {0} order by kind
            """, run.Id).ToListAsync();
        Assert.Equal(
            new[] { new StoredSize(CheckpointKind.Best, 300_000, 300_000, 0, 1), new StoredSize(CheckpointKind.Latest, 300_000, 300_000, 600_000, 600_000) },
            stored);
    }

    private sealed record StoredSize(string Kind, int ModelLength, int ModelStored, int OptimizerLength, int OptimizerStored);

    private static async Task<Run> RunAsync(OrchestratorHost host, long sweep)
    {
        await using var db = host.Db();
        return await db.Runs.AsNoTracking().SingleAsync(r => r.SweepId == sweep);
    }
}
