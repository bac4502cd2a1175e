using Hangfire.States;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Polly;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Shared.Runs;

/// <summary>
/// A run's life, in one place for both processes: the only code that changes <c>runs.status</c>. Each transition is
/// one transaction that checks the run's status (and, for a Worker, its lease) before writing, so a cancel made
/// meanwhile always wins, and a Worker that lost its lease writes nothing. Transient database errors are retried
/// here (Polly), not by callers. README "What survives what" lists the cases each transition covers.
/// <code>
///            create            acquire             finish
///   (none) --------> queued ----------> running ----------> succeeded | failed | diverged
///                      ^  ^   release      |  ^                   |
///                      |  +----------------+  | acquire (lease    | resume (failed, diverged,
///                      |                      |  lapsed: takeover) | or stopped at a lower cap)
///                      +------ resume --------|-------------------+
///   queued | running --cancel--> cancelled --resume--> queued
/// </code>
/// </summary>
public sealed class RunLife : IDisposable
{
    /// <summary>Hangfire states of a job waiting for a Worker: a lapsed lease needs no new job while one waits.</summary>
    public static readonly string[] WaitingJobStates = [EnqueuedState.StateName, ScheduledState.StateName, AwaitingState.StateName];

    /// <summary>
    /// SQL condition: the Hangfire job whose id is the expression <paramref name="jobId"/> will still run, either
    /// waiting in one of the states of the parameter <paramref name="waitingStates"/> (<see cref="WaitingJobStates"/>)
    /// or processing on a server that is still registered. Why the server: a Worker frozen past Hangfire's server
    /// timeout (SIGSTOP, a paused VM) comes back as a new server; its old job stays "Processing" forever, and without
    /// its queue row no server ever takes it again, so counting every Processing job as live left the run, or the
    /// analysis, waiting for nothing (seen on a War and Peace sweep after a 13-minute pause). A registered server
    /// that dies is removed by the others' watchdog after its timeout, which frees its jobs here too.
    /// </summary>
    public static string LiveJobSql(string jobId, string waitingStates) => $"""
        exists (select 1 from {Job} j left join {State} st on st.id = j.stateid
                where j.id = {jobId} and (j.statename = any({waitingStates})
                   or (j.statename = '{ProcessingState.StateName}' and exists (select 1 from {Server} sv where sv.id = st.data ->> 'ServerId'))))
        """;
    /// <summary>A Worker may take the lease of a run in these states (running: only when its lease lapsed).</summary>
    public static readonly string[] Takeable = [RunStatus.Queued, RunStatus.Running];
    /// <summary>Cancel applies to these; the others have ended already.</summary>
    public static readonly string[] Cancellable = [RunStatus.Queued, RunStatus.Running];
    /// <summary>Resume starts these again; a succeeded run only when it stopped at an epoch cap that was raised.</summary>
    public static readonly string[] Resumable = [RunStatus.Failed, RunStatus.Diverged, RunStatus.Cancelled];
    /// <summary>Runs that ended with losses of a best checkpoint are analysed; a cancelled one never is.</summary>
    public static readonly string[] Analysable = [RunStatus.Succeeded, RunStatus.Failed, RunStatus.Diverged];

    private const string Job = $"{DatabaseSettings.HangfireSchema}.job";
    private const string State = $"{DatabaseSettings.HangfireSchema}.state";
    private const string Server = $"{DatabaseSettings.HangfireSchema}.server";

    private readonly NpgsqlDataSource _db;
    private readonly bool _ownsDataSource;
    private readonly ResiliencePipeline _retry;

    /// <param name="patience">How long transient database errors are retried before one is thrown.</param>
    public RunLife(NpgsqlDataSource db, TimeSpan patience, ILogger? log = null, bool ownsDataSource = false)
    {
        _db = db;
        _ownsDataSource = ownsDataSource;
        _retry = Transient.Pipeline(patience, log);
    }

    public RunLife(string connectionString, TimeSpan patience, ILogger? log = null)
        : this(NpgsqlDataSource.Create(connectionString), patience, log, ownsDataSource: true)
    {
    }

    // ---------------------------------------------------------------- create

    /// <summary>
    /// Creates one queued run per grid cell with COPY, on the caller's connection and inside its transaction (the
    /// sweep's): a 10,000-cell grid as one stream (docs/benchmarks.md). <paramref name="hyperparameters"/> is the
    /// submitted record as JSON and stays so; the epoch cap gets its own column.
    /// </summary>
    public static async Task<int> CreateRunsAsync(NpgsqlConnection connection, long sweepId, IEnumerable<NewRun> cells, string hyperparameters,
        long seed, int maxEpochs, DateTimeOffset now, CancellationToken ct)
    {
        var count = 0;
        await using var writer = await connection.BeginBinaryImportAsync(
            "copy runs (sweep_id, model, layers, size, hidden, hyperparameters, seed, max_epochs, status, attempt, divergence_retries, epochs_done, created_at, axes, estimated_cost) from stdin (format binary)", ct);
        foreach (var cell in cells)
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(sweepId, NpgsqlDbType.Bigint, ct);
            await writer.WriteAsync(cell.Model, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(cell.Layers, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(cell.Size, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(cell.Hidden, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(cell.Hyperparameters ?? hyperparameters, NpgsqlDbType.Jsonb, ct);
            await writer.WriteAsync(cell.Seed ?? seed, NpgsqlDbType.Bigint, ct);
            await writer.WriteAsync(cell.MaxEpochs ?? maxEpochs, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(RunStatus.Queued, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(0, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(0, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(0, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
            await writer.WriteAsync(cell.Axes, NpgsqlDbType.Jsonb, ct);
            if (cell.EstimatedCost is { } cost) await writer.WriteAsync(cost, NpgsqlDbType.Double, ct);
            else await writer.WriteNullAsync(ct);
            count++;
        }
        await writer.CompleteAsync(ct);
        return count;
    }

    // ---------------------------------------------------------------- dispatch (Orchestrator)

    /// <summary>
    /// Queued and running runs with no way forward: a queued run whose job is missing, deleted, finished or failed, or
    /// processing on a server that is gone (<see cref="LiveJobSql"/>);
    /// a running run whose lease lapsed more than <paramref name="grace"/> ago and that has no job waiting (its
    /// Worker died, froze or was cut off). The database, not Hangfire, says what is pending. Longest first (by
    /// <c>estimated_cost</c>, then id): the dispatcher creates jobs in this order and Workers fetch by job id.
    /// </summary>
    /// <param name="longestFirst">false: in the order the runs were created (first in, first out), for comparison.</param>
    public Task<IReadOnlyList<StrandedRun>> FindStrandedAsync(long? sweepId, TimeSpan grace, CancellationToken ct, bool longestFirst = true) => RetryAsync<IReadOnlyList<StrandedRun>>(async ct =>
    {
        await using var cmd = _db.CreateCommand($"""
            select r.id, r.sweep_id, s.queue, r.job_id, r.status
            from runs r join sweeps s on s.id = r.sweep_id
            where ($1::bigint is null or r.sweep_id = $1)
              and ((r.status = $2 and not {LiveJobSql("r.job_id::bigint", "$4")})
                or (r.status = $3 and coalesce(r.lease_expires_at, '-infinity') < now() - $5
                    and not exists (select 1 from {Job} j where j.id = r.job_id::bigint and j.statename = any($4))))
            order by case when $6 then r.estimated_cost end desc nulls last, r.id
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)sweepId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.AddWithValue(RunStatus.Queued);
        cmd.Parameters.AddWithValue(RunStatus.Running);
        cmd.Parameters.AddWithValue(WaitingJobStates);
        cmd.Parameters.AddWithValue(grace);
        cmd.Parameters.AddWithValue(longestFirst);
        var stranded = new List<StrandedRun>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            stranded.Add(new StrandedRun(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4)));
        }
        return stranded;
    }, ct);

    /// <summary>
    /// Attaches new jobs to runs, each only if the run still has the job it was found with and is still queued or
    /// running: of two dispatchers, one wins; the caller deletes the loser's job. Returns the runs attached.
    /// </summary>
    public Task<HashSet<long>> AttachJobsAsync(long[] runIds, string?[] previousJobIds, string[] jobIds, CancellationToken ct) => RetryAsync(async ct =>
    {
        await using var cmd = _db.CreateCommand("""
            update runs r set job_id = v.job_id
            from unnest($1::bigint[], $2::text[], $3::text[]) as v(id, previous, job_id)
            where r.id = v.id and r.job_id is not distinct from v.previous and r.status = any($4)
            returning r.id
            """);
        cmd.Parameters.AddWithValue(runIds);
        cmd.Parameters.AddWithValue(previousJobIds);
        cmd.Parameters.AddWithValue(jobIds);
        cmd.Parameters.AddWithValue(Takeable);
        var attached = new HashSet<long>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) attached.Add(reader.GetInt64(0));
        return attached;
    }, ct);

    // ---------------------------------------------------------------- cancel and resume (Orchestrator)

    /// <summary>
    /// Cancels the sweep's queued and running runs (or one run): status <c>cancelled</c>, lease and job dropped in the
    /// same statement, so the Worker's next write (epoch commit, finish, renewal) finds the run no longer its own.
    /// Returns the Hangfire jobs the runs had, for the caller to delete.
    /// </summary>
    public Task<IReadOnlyList<string?>> CancelAsync(long sweepId, long? runId, CancellationToken ct) => RetryAsync<IReadOnlyList<string?>>(async ct =>
    {
        await using var cmd = _db.CreateCommand("""
            with target as (
              select id, job_id from runs where sweep_id = $1 and ($2::bigint is null or id = $2) and status = any($3) for update)
            update runs r set status = $4, job_id = null, lease_owner = null, lease_expires_at = null, finished_at = now()
            from target t where r.id = t.id
            returning t.job_id
            """);
        cmd.Parameters.AddWithValue(sweepId);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)runId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.AddWithValue(Cancellable);
        cmd.Parameters.AddWithValue(RunStatus.Cancelled);
        var jobs = new List<string?>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) jobs.Add(reader.IsDBNull(0) ? null : reader.GetString(0));
        return jobs;
    }, ct);

    /// <summary>
    /// Queues again the sweep's (or one run's) failed, diverged and cancelled runs, and succeeded runs that stopped at
    /// an epoch cap below their current one. With <paramref name="maxEpochs"/>, the runs' cap is set first (running
    /// runs pick it up after their epoch). Each continues from its latest checkpoint. Returns the runs queued;
    /// the caller then dispatches every stranded run of the sweep (these, and queued runs whose job was lost).
    /// </summary>
    public Task<IReadOnlyList<long>> ResumeAsync(long sweepId, long? runId, int? maxEpochs, CancellationToken ct) => RetryAsync<IReadOnlyList<long>>(async ct =>
    {
        await using var conn = await _db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (maxEpochs is { } cap)
        {
            await using var capCmd = new NpgsqlCommand("update runs set max_epochs = $3 where sweep_id = $1 and ($2::bigint is null or id = $2)", conn, tx);
            capCmd.Parameters.AddWithValue(sweepId);
            capCmd.Parameters.Add(new NpgsqlParameter { Value = (object?)runId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            capCmd.Parameters.AddWithValue(cap);
            await capCmd.ExecuteNonQueryAsync(ct);
        }
        await using var cmd = new NpgsqlCommand("""
            update runs set status = $3, error = null, stop_reason = null, stop_kind = null, finished_at = null, analyzed_at = null,
                            lease_owner = null, lease_expires_at = null
            where sweep_id = $1 and ($2::bigint is null or id = $2)
              and (status = any($4) or (status = $5 and stop_kind = $6 and epochs_done < max_epochs))
            returning id
            """, conn, tx);
        cmd.Parameters.AddWithValue(sweepId);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)runId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.AddWithValue(RunStatus.Queued);
        cmd.Parameters.AddWithValue(Resumable);
        cmd.Parameters.AddWithValue(RunStatus.Succeeded);
        cmd.Parameters.AddWithValue(StopKind.MaxEpochs);
        var queued = new List<long>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) queued.Add(reader.GetInt64(0));
        }
        await ForgetWorkJobsAsync(conn, tx, WorkKind.Analysis, [.. queued], ct); // analysed anew once trained, with a fresh count of jobs
        await tx.CommitAsync(ct);
        return queued;
    }, ct);

    // ---------------------------------------------------------------- the lease (Worker)

    /// <summary>
    /// Takes the run's lease if nobody holds a live one: a queued run, or a running run whose Worker stopped renewing
    /// (killed, frozen, cut off). Returns the attempt number, or null if another Worker holds it or the run has ended.
    /// </summary>
    public Task<int?> AcquireLeaseAsync(long runId, string owner, TimeSpan duration, CancellationToken ct) => RetryAsync(async ct =>
    {
        await using var cmd = _db.CreateCommand("""
            update runs set status = $4, lease_owner = $2, trained_by = $2, lease_expires_at = now() + $3, attempt = attempt + 1,
                            started_at = coalesce(started_at, now()), error = null
            where id = $1 and status = any($5)
              and (lease_owner is null or lease_owner = $2 or lease_expires_at < now())
            returning attempt
            """);
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(owner);
        cmd.Parameters.AddWithValue(duration);
        cmd.Parameters.AddWithValue(RunStatus.Running);
        cmd.Parameters.AddWithValue(Takeable);
        return await cmd.ExecuteScalarAsync(ct) as int?;
    }, ct);

    /// <summary>Extends the lease; false when it is no longer ours (taken over, cancelled): the caller must stop.</summary>
    public Task<bool> RenewLeaseAsync(long runId, string owner, TimeSpan duration, CancellationToken ct) => RetryAsync(async ct =>
    {
        await using var cmd = _db.CreateCommand(
            "update runs set lease_expires_at = now() + $3 where id = $1 and lease_owner = $2 and status = $4");
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(owner);
        cmd.Parameters.AddWithValue(duration);
        cmd.Parameters.AddWithValue(RunStatus.Running);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }, ct);

    /// <summary>Gives the run back (shutdown, job deleted or requeued): queued again, resumable from its latest checkpoint by any Worker.</summary>
    public Task<bool> ReleaseLeaseAsync(long runId, string owner, CancellationToken ct) => RetryAsync(async ct =>
    {
        await using var cmd = _db.CreateCommand(
            "update runs set status = $3, lease_owner = null, lease_expires_at = null where id = $1 and lease_owner = $2 and status = $4");
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(owner);
        cmd.Parameters.AddWithValue(RunStatus.Queued);
        cmd.Parameters.AddWithValue(RunStatus.Running);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }, ct);

    /// <summary>The run's status, lease owner and job now; null when the run is gone.</summary>
    public Task<RunHolder?> HolderAsync(long runId, CancellationToken ct) => RetryAsync(async ct =>
    {
        await using var cmd = _db.CreateCommand("select status, lease_owner, job_id from runs where id = $1");
        cmd.Parameters.AddWithValue(runId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new RunHolder(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
    }, ct);

    // ---------------------------------------------------------------- training (Worker)

    /// <summary>
    /// Commits one finished epoch atomically: its metrics row, the latest (and maybe best) checkpoint, and the run's
    /// progress. Upserts, so an epoch trained again after a takeover replaces its row instead of adding one. Writes
    /// nothing unless the run is still running under this lease. The best checkpoint is copied from the latest inside
    /// the database: a 3x512 LSTM's checkpoint with Adam state is 65 MB (docs/benchmarks.md).
    /// </summary>
    /// <returns>The run's epoch cap as stored now (resume may have changed it), or null when nothing was written.</returns>
    public Task<int?> CommitEpochAsync(long runId, string owner, EpochCommit epoch, CancellationToken ct) => RetryAsync<int?>(async ct =>
    {
        await using var conn = await _db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        int maxEpochs;
        await using (var guard = new NpgsqlCommand("select max_epochs from runs where id = $1 and lease_owner = $2 and status = $3 for update", conn, tx))
        {
            guard.Parameters.AddWithValue(runId);
            guard.Parameters.AddWithValue(owner);
            guard.Parameters.AddWithValue(RunStatus.Running);
            if (await guard.ExecuteScalarAsync(ct) is not int cap) return null;
            maxEpochs = cap;
        }
        await using (var metric = new NpgsqlCommand("""
            insert into epoch_metrics (run_id, epoch, train_loss, val_loss, val_accuracy, learning_rate, grad_norm, chars_per_second, seconds, created_at)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
            on conflict (run_id, epoch) do update set train_loss = excluded.train_loss, val_loss = excluded.val_loss,
              val_accuracy = excluded.val_accuracy, learning_rate = excluded.learning_rate, grad_norm = excluded.grad_norm,
              chars_per_second = excluded.chars_per_second, seconds = excluded.seconds, created_at = excluded.created_at
            """, conn, tx))
        {
            metric.Parameters.AddWithValue(runId);
            metric.Parameters.AddWithValue(epoch.Epoch);
            foreach (var v in new[] { epoch.TrainLoss, epoch.ValLoss, epoch.ValAccuracy, epoch.LearningRate, epoch.GradNorm, epoch.CharsPerSecond, epoch.Seconds })
                metric.Parameters.AddWithValue(v);
            await metric.ExecuteNonQueryAsync(ct);
        }
        await SaveCheckpointAsync(conn, tx, runId, epoch.Latest, ct);
        if (epoch.IsBest)
        {
            // The best checkpoint is only evaluated, analysed, sampled and exported, never resumed from: it is stored
            // without the optimizer state (Adam's moments are twice the model), which was a third of every improving
            // epoch's commit at LSTM 3x512 (65 MB latest + 65 MB best, now + 22 MB).
            await using var copy = new NpgsqlCommand("""
                insert into checkpoints (run_id, kind, epoch, val_loss, model_state, optimizer_state, trainer_state, created_at)
                select run_id, $3, epoch, val_loss, model_state, ''::bytea, trainer_state, now() from checkpoints where run_id = $1 and kind = $2
                on conflict (run_id, kind) do update set epoch = excluded.epoch, val_loss = excluded.val_loss, model_state = excluded.model_state,
                  optimizer_state = excluded.optimizer_state, trainer_state = excluded.trainer_state, created_at = excluded.created_at
                """, conn, tx);
            copy.Parameters.AddWithValue(runId);
            copy.Parameters.AddWithValue(CheckpointKind.Latest);
            copy.Parameters.AddWithValue(CheckpointKind.Best);
            await copy.ExecuteNonQueryAsync(ct);
        }
        await using (var progress = new NpgsqlCommand("""
            update runs set epochs_done = $2, best_epoch = $3, parameter_count = $4, lease_expires_at = greatest(lease_expires_at, now())
            where id = $1
            """, conn, tx))
        {
            progress.Parameters.AddWithValue(runId);
            progress.Parameters.AddWithValue(epoch.Epoch);
            progress.Parameters.AddWithValue(epoch.BestEpoch);
            progress.Parameters.AddWithValue(epoch.ParameterCount);
            await progress.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return maxEpochs;
    }, ct);

    private static async Task SaveCheckpointAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long runId, StoredCheckpoint c, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            insert into checkpoints (run_id, kind, epoch, val_loss, model_state, optimizer_state, trainer_state, created_at)
            values ($1, $2, $3, $4, $5, $6, $7, now())
            on conflict (run_id, kind) do update set epoch = excluded.epoch, val_loss = excluded.val_loss, model_state = excluded.model_state,
              optimizer_state = excluded.optimizer_state, trainer_state = excluded.trainer_state, created_at = excluded.created_at
            """, conn, tx);
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(CheckpointKind.Latest);
        cmd.Parameters.AddWithValue(c.Epoch);
        cmd.Parameters.AddWithValue(c.ValLoss);
        cmd.Parameters.AddWithValue(c.ModelState);
        cmd.Parameters.AddWithValue(c.OptimizerState);
        cmd.Parameters.Add(new NpgsqlParameter { Value = c.TrainerStateJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Starts a diverged run over: its epochs and checkpoints are removed and the restart is counted, in one
    /// transaction under the lease. The learning rate of the restart follows from the count
    /// (<see cref="RunHyperparameters.Effective"/>); the submitted hyperparameters are not touched.
    /// </summary>
    public Task<bool> RestartAfterDivergenceAsync(long runId, string owner, int retries, CancellationToken ct) => RetryAsync(async ct =>
    {
        await using var cmd = _db.CreateCommand("""
            with run as (
              update runs set divergence_retries = $3, epochs_done = 0, best_epoch = null
              where id = $1 and lease_owner = $2 and status = $4 returning id),
            epochs as (delete from epoch_metrics where run_id in (select id from run)),
            checkpoints as (delete from checkpoints where run_id in (select id from run))
            select count(*) from run
            """);
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(owner);
        cmd.Parameters.AddWithValue(retries);
        cmd.Parameters.AddWithValue(RunStatus.Running);
        return (long)(await cmd.ExecuteScalarAsync(ct))! == 1;
    }, ct);

    /// <summary>Records how the run ended and drops the lease, in one statement guarded by status and lease: a run cancelled meanwhile stays cancelled.</summary>
    public Task<bool> FinishAsync(long runId, string owner, RunOutcome outcome, CancellationToken ct)
    {
        if (!RunStatus.IsFinal(outcome.Status) || outcome.Status == RunStatus.Cancelled)
            throw new ArgumentException($"a run finishes as succeeded, failed or diverged, not {outcome.Status}", nameof(outcome));
        if (outcome.StopKind is { } kind && !StopKind.All.Contains(kind)) throw new ArgumentException($"unknown stop kind {kind}", nameof(outcome));
        return RetryAsync(async ct =>
        {
            await using var cmd = _db.CreateCommand("""
                update runs set status = $3, train_loss = $4, val_loss = $5, test_loss = $6, stop_kind = $7, stop_reason = $8, error = $9,
                                finished_at = now(), lease_owner = null, lease_expires_at = null
                where id = $1 and lease_owner = $2 and status = $10
                """);
            cmd.Parameters.AddWithValue(runId);
            cmd.Parameters.AddWithValue(owner);
            cmd.Parameters.AddWithValue(outcome.Status);
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.TrainLoss ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.ValLoss ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.TestLoss ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.StopKind ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.StopReason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.Error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.AddWithValue(RunStatus.Running);
            return await cmd.ExecuteNonQueryAsync(ct) == 1;
        }, ct);
    }

    /// <summary>
    /// Marks a run analysed, inside the caller's transaction that stores the analyses; false (and the caller rolls
    /// back) when the run is no longer one that ended with losses, e.g. it was resumed or cancelled meanwhile.
    /// </summary>
    public static async Task<bool> MarkAnalysedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long runId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("update runs set analyzed_at = now() where id = $1 and status = any($2) and test_loss is not null", conn, tx);
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(Analysable);
        if (await cmd.ExecuteNonQueryAsync(ct) != 1) return false;
        await ForgetWorkJobsAsync(conn, tx, WorkKind.Analysis, [runId], ct);
        return true;
    }

    /// <summary>
    /// Drops the dispatcher's record of <paramref name="kind"/> work for <paramref name="subjects"/>, in the caller's
    /// transaction: when its result is stored, or when it is pending again (a resumed run is analysed anew). Its count
    /// of jobs is of jobs that ended without the result since then; kept, five jobs that each succeeded (a run resumed
    /// and analysed five times) read as five lost ones, and the next analysis was never dispatched.
    /// </summary>
    public static async Task ForgetWorkJobsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string kind, long[] subjects, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("delete from work_jobs where kind = $1 and subject_id = any($2)", conn, tx);
        cmd.Parameters.AddWithValue(kind);
        cmd.Parameters.AddWithValue(subjects);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken ct) =>
        await _retry.ExecuteAsync(async token => await call(token), ct);

    public void Dispose()
    {
        if (_ownsDataSource) _db.Dispose();
    }
}
