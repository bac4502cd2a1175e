using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Stores;
using RnnSweep.Worker.Training;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Faults;

/// <summary>
/// A Worker commits each epoch while the next one trains (EpochCommitter). The test holds the run's row lock, so the
/// commit in flight waits in PostgreSQL for as long as the test likes, whatever the machine's speed: the next epoch
/// trains meanwhile, no second commit starts, and a crash or a cancel at that moment leaves the last committed epoch.
/// </summary>
[Trait("Category", "WorkerProcess")]
[Collection(DatabaseCollection.Name)]
public sealed class OverlappedCommitTests(PostgresFixture postgres, ITestOutputHelper output)
{
    /// <summary>Enough epochs that the row lock is taken long before the run could end (it is taken after the first).</summary>
    private const int LongRun = 8;

    /// <summary>Generous: under a loaded machine an epoch of these runs took 15 s here (a second on an idle one).</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task WorkerKilledWhileAnEpochCommitIsInFlight_ResumesFromTheLastCommittedEpoch_WithTheUninterruptedLosses()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        var a = WorkerProcess.Start(host.ConnectionString, "a", FaultSweep.FastTakeover);
        WorkerProcess? b = null;
        try
        {
            var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("killed mid-commit", maxEpochs: LongRun));
            await SweepWaiter.UntilEpochsAsync(host.Db, sweep, 1, Patience, () => a.Output);
            var runId = await RunIdAsync(host, sweep);
            int committed;
            await using (var held = await HoldRunRowAsync(host, runId))
            {
                committed = held.EpochsDone;
                await InFlightWhileTheNextEpochTrainsAsync(host, runId, committed, a);
                a.Signal("KILL");
                Assert.True(await a.WaitForExitAsync(TimeSpan.FromSeconds(10)));
            } // the lock goes; the dead Worker's transaction can only roll back

            b = WorkerProcess.Start(host.ConnectionString, "b", FaultSweep.FastTakeover);
            var reference = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("reference", maxEpochs: LongRun));
            var run = (await SweepWaiter.UntilFinishedAsync(host.Db, sweep, Patience, () => b.Output)).Single();
            var expected = (await SweepWaiter.UntilFinishedAsync(host.Db, reference, Patience, () => b.Output)).Single();
            Assert.Equal(RunStatus.Succeeded, run.Status);
            Assert.Equal(2, run.Attempt);
            Assert.Contains($"Resuming run {run.Id} after epoch {committed} from its latest checkpoint", b.Output);
            await FaultSweep.AssertSameTrainingAsync(host, run, expected);
        }
        finally
        {
            a.WriteTo(output);
            b?.WriteTo(output);
            await a.DisposeAsync();
            if (b is not null) await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task CancelWhileAnEpochCommitIsInFlight_Wins_NoLaterEpochIsWritten()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        await using var worker = WorkerProcess.Start(host.ConnectionString, "w", FaultSweep.FastTakeover);
        try
        {
            var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("cancelled mid-commit", maxEpochs: LongRun));
            await SweepWaiter.UntilEpochsAsync(host.Db, sweep, 1, Patience, () => worker.Output);
            var runId = await RunIdAsync(host, sweep);
            int committed;
            Task<HttpResponseMessage> cancel;
            await using (var held = await HoldRunRowAsync(host, runId))
            {
                committed = held.EpochsDone;
                await InFlightWhileTheNextEpochTrainsAsync(host, runId, committed, worker);
                cancel = host.Http.PostAsync($"/api/sweeps/{sweep}/cancel", null);
                await UntilAsync(() => WaitingOnLocksAsync(host, "%status = any%for update%"), worker, "the cancel waiting for the run's row");
            }
            using (var response = await cancel)
            {
                Assert.Equal(1, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cancelled").GetInt32());
            }
            await UntilAsync(() => Task.FromResult(worker.Output.Contains($"Run {runId} released") || worker.Output.Contains($"Run {runId} stopped")), worker, "the Worker to stop");
            int epochs;
            await using (var db = host.Db())
            {
                var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
                Assert.Equal((RunStatus.Cancelled, (string?)null), (run.Status, run.LeaseOwner));
                epochs = await db.EpochMetrics.CountAsync(m => m.RunId == runId);
                // The commit that was in flight landed before the cancel or not at all; the epoch trained meanwhile never did.
                Assert.InRange(epochs, committed, committed + 1);
                Assert.Equal(epochs, run.EpochsDone);
            }
            await Task.Delay(TimeSpan.FromSeconds(2));
            await using (var db = host.Db())
            {
                Assert.Equal(epochs, await db.EpochMetrics.CountAsync(m => m.RunId == runId)); // it really stopped
                Assert.Equal(RunStatus.Cancelled, (await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId)).Status);
            }
        }
        finally
        {
            worker.WriteTo(output);
        }
    }

    /// <summary>
    /// SaveCheckpoint overwrites the arrays of a checkpoint whose commit has finished (fresh 65 MB cost 180 ms of page
    /// faults at LSTM 3x512); EpochCommitter must never hand out the one still being sent, however long it waits.
    /// </summary>
    [Fact]
    public async Task TheCheckpointInFlight_IsNeverGivenOutForReuse_AFinishedOneIsGivenOnce()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--Reaper:Interval=01:00:00");
        var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("recycled checkpoints", maxEpochs: LongRun));
        var runId = await RunIdAsync(host, sweep);
        using var store = new RunStore(host.ConnectionString);
        const string owner = "test/1/recycle";
        Assert.NotNull(await store.Life.AcquireLeaseAsync(runId, owner, TimeSpan.FromHours(1), CancellationToken.None));
        static (EpochReport, CheckpointData) Epoch(int epoch) =>
            (new EpochReport(epoch, 2.0, 1.9, 0.4, 2e-3, 1.0, 1000, 1, IsBest: true), new CheckpointData(epoch, 1.9, [(byte)epoch, 1], [(byte)epoch, 2], "{}"));

        await using var committer = new EpochCommitter(store, runId, owner);
        var (report1, first) = Epoch(1);
        await using (await HoldRunRowAsync(host, runId))
        {
            await committer.StartAsync(1, report1, first, true, 1, CancellationToken.None);
            await UntilAsync(() => WaitingOnLocksAsync(host, CommitWaiting), null, "the commit waiting on the row lock");
            Assert.Null(committer.TakeCommitted());                         // still being sent
        }
        await committer.FlushAsync(CancellationToken.None);
        Assert.Same(first, committer.TakeCommitted());
        Assert.Null(committer.TakeCommitted());                             // given out once

        var kept = new List<CheckpointData>();
        for (var epoch = 2; epoch <= 4; epoch++)
        {
            var (report, checkpoint) = Epoch(epoch);
            kept.Add(checkpoint);
            await committer.StartAsync(1, report, checkpoint, true, epoch, CancellationToken.None);
        }
        Assert.Same(kept[1], committer.TakeCommitted());                   // 4 started after 3 finished, 3 after 2
        Assert.Same(kept[0], committer.TakeCommitted());
        Assert.Null(committer.TakeCommitted());                             // 4 is in flight
        await committer.FlushAsync(CancellationToken.None);
        Assert.Same(kept[2], committer.TakeCommitted());
        await using var db = host.Db();
        Assert.Equal(4, await db.EpochMetrics.CountAsync(m => m.RunId == runId));
    }

    /// <summary>
    /// The commit of epoch <paramref name="committed"/> + 1 waits on the row lock while epoch + 2 trains to its end;
    /// nothing else is committed meanwhile (at most one commit in flight).
    /// </summary>
    private static async Task InFlightWhileTheNextEpochTrainsAsync(OrchestratorHost host, long runId, int committed, WorkerProcess worker)
    {
        await UntilAsync(() => WaitingOnLocksAsync(host, CommitWaiting), worker, $"the commit of epoch {committed + 1} waiting");
        await UntilAsync(() => Task.FromResult(worker.Output.Contains($"Epoch {committed + 2}: train")), worker, $"epoch {committed + 2} trained while the commit of {committed + 1} waits");
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.DoesNotContain($"Epoch {committed + 3}: train", worker.Output); // it waits for the commit in flight before going on
        await using var db = host.Db();
        Assert.Equal(committed, await db.EpochMetrics.CountAsync(m => m.RunId == runId));
    }

    private static async Task<long> RunIdAsync(OrchestratorHost host, long sweep)
    {
        await using var db = host.Db();
        return await db.Runs.Where(r => r.SweepId == sweep).Select(r => r.Id).SingleAsync();
    }

    /// <summary>A transaction holding the run's row lock (as a slow commit of another session would), rolled back on dispose.</summary>
    private static async Task<HeldRow> HoldRunRowAsync(OrchestratorHost host, long runId)
    {
        var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var cmd = new NpgsqlCommand("select epochs_done from runs where id = $1 for update", connection, transaction);
        cmd.Parameters.AddWithValue(runId);
        var epochs = (int)(await cmd.ExecuteScalarAsync())!;
        return new HeldRow(connection, transaction, epochs);
    }

    private sealed record HeldRow(NpgsqlConnection Connection, NpgsqlTransaction Transaction, int EpochsDone) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Transaction.RollbackAsync();
            await Connection.DisposeAsync();
        }
    }

    private static async Task<bool> WaitingOnLocksAsync(OrchestratorHost host, string queryPattern)
    {
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database() and query like $1", connection);
        cmd.Parameters.AddWithValue(queryPattern);
        return (long)(await cmd.ExecuteScalarAsync())! > 0;
    }

    /// <summary>The query of an epoch commit that waits for the run's row (<see cref="WaitingOnLocksAsync"/>).</summary>
    private const string CommitWaiting = "%max_epochs from runs where id = $1 and lease_owner%";

    private static async Task UntilAsync(Func<Task<bool>> condition, WorkerProcess? worker, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}\n{worker?.Output}");
            await Task.Delay(100);
        }
    }
}
