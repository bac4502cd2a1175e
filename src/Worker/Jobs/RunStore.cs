using Npgsql;
using NpgsqlTypes;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;

namespace RnnSweep.Worker.Jobs;

/// <summary>What a run's job reads from and writes to PostgreSQL. Every write is guarded by the run's lease.</summary>
public sealed class RunStore(string connectionString) : IDisposable
{
    private readonly NpgsqlDataSource _db = NpgsqlDataSource.Create(connectionString);

    public sealed record RunInfo(long Id, long SweepId, string Model, int Layers, int Hidden, string Hyperparameters, string Status, string CorpusSha256, string Sweep, int DivergenceRetries, string Queue);

    public Task<RunInfo?> FindAsync(long runId, CancellationToken ct) => FindWhereAsync("r.id = $1", runId, ct);

    public Task<RunInfo?> FindAnyOfSweepAsync(long sweepId, CancellationToken ct) => FindWhereAsync("r.sweep_id = $1 order by r.id limit 1", sweepId, ct);

    private async Task<RunInfo?> FindWhereAsync(string where, long id, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand($"""
            select r.id, r.sweep_id, r.model, r.layers, r.hidden, r.hyperparameters::text, r.status, c.sha256, s.name, r.divergence_retries, s.queue
            from runs r join sweeps s on s.id = r.sweep_id join corpora c on c.id = s.corpus_id where {where}
            """);
        cmd.Parameters.AddWithValue(id);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new RunInfo(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4),
            reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetInt32(9), reader.GetString(10));
    }

    public async Task<byte[]> CorpusContentAsync(string sha256, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("select content from corpora where sha256 = $1");
        cmd.Parameters.AddWithValue(sha256);
        return (byte[])(await cmd.ExecuteScalarAsync(ct) ?? throw new InvalidOperationException($"corpus {sha256} is not in the database"));
    }

    /// <summary>
    /// Takes the run's lease if nobody holds a live one: a queued run, or a running run whose worker stopped
    /// renewing (killed, or cut off). Returns the attempt number, or null if another worker holds it or it is final.
    /// </summary>
    public async Task<int?> TryAcquireLeaseAsync(long runId, string owner, TimeSpan duration, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            update runs set status = 'running', lease_owner = $2, trained_by = $2, lease_expires_at = now() + $3, attempt = attempt + 1,
                            started_at = coalesce(started_at, now()), error = null
            where id = $1 and status in ('queued', 'running')
              and (lease_owner is null or lease_owner = $2 or lease_expires_at < now())
            returning attempt
            """);
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(owner);
        cmd.Parameters.AddWithValue(duration);
        return await cmd.ExecuteScalarAsync(ct) as int?;
    }

    /// <summary>Extends the lease; false when it is no longer ours (taken over, cancelled): the caller must stop.</summary>
    public async Task<bool> RenewLeaseAsync(long runId, string owner, TimeSpan duration, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand(
            "update runs set lease_expires_at = now() + $3 where id = $1 and lease_owner = $2 and status = 'running'");
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(owner);
        cmd.Parameters.AddWithValue(duration);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Gives the run back (shutdown): queued again, resumable from its latest checkpoint by any worker.</summary>
    public async Task ReleaseLeaseAsync(long runId, string owner, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand(
            "update runs set status = 'queued', lease_owner = null, lease_expires_at = null where id = $1 and lease_owner = $2 and status = 'running'");
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(owner);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<CheckpointData?> LoadCheckpointAsync(long runId, string kind, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand(
            "select epoch, val_loss, model_state, optimizer_state, trainer_state::text from checkpoints where run_id = $1 and kind = $2");
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(kind);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new CheckpointData(reader.GetInt32(0), reader.GetDouble(1), (byte[])reader[2], (byte[])reader[3], reader.GetString(4));
    }

    /// <summary>
    /// Commits one finished epoch atomically: its metrics row, the latest (and maybe best) checkpoint, and the
    /// run's progress. Upserts, so an epoch trained again after a takeover replaces its row instead of adding one.
    /// Writes nothing when the lease is no longer ours. When the epoch is the best so far, the best
    /// checkpoint is copied from the latest inside the database: a 3x512 LSTM's checkpoint with Adam state is 65 MB,
    /// and sending it twice made a tenth of a short epoch (docs/benchmarks.md).
    /// </summary>
    /// <returns>The run's epoch cap as stored now (it may have been raised or lowered meanwhile), or null when the lease is lost and nothing was written.</returns>
    public async Task<int?> CommitEpochAsync(long runId, string owner, long parameterCount, EpochReport report,
        CheckpointData latest, bool isBest, int bestEpoch, CancellationToken ct)
    {
        await using var conn = await _db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        int maxEpochs;
        await using (var guard = new NpgsqlCommand("select (hyperparameters->>'maxEpochs')::int from runs where id = $1 and lease_owner = $2 for update", conn, tx))
        {
            guard.Parameters.AddWithValue(runId);
            guard.Parameters.AddWithValue(owner);
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
            metric.Parameters.AddWithValue(report.Epoch);
            foreach (var v in new[] { report.TrainLoss, report.ValLoss, report.ValAccuracy, report.LearningRate, report.GradNorm, report.CharsPerSecond, report.Seconds })
                metric.Parameters.AddWithValue(v);
            await metric.ExecuteNonQueryAsync(ct);
        }
        await SaveCheckpointAsync(conn, tx, runId, "latest", latest, ct);
        if (isBest)
        {
            await using var copy = new NpgsqlCommand("""
                insert into checkpoints (run_id, kind, epoch, val_loss, model_state, optimizer_state, trainer_state, created_at)
                select run_id, 'best', epoch, val_loss, model_state, optimizer_state, trainer_state, now() from checkpoints where run_id = $1 and kind = 'latest'
                on conflict (run_id, kind) do update set epoch = excluded.epoch, val_loss = excluded.val_loss, model_state = excluded.model_state,
                  optimizer_state = excluded.optimizer_state, trainer_state = excluded.trainer_state, created_at = excluded.created_at
                """, conn, tx);
            copy.Parameters.AddWithValue(runId);
            await copy.ExecuteNonQueryAsync(ct);
        }
        await using (var progress = new NpgsqlCommand("""
            update runs set epochs_done = $2, best_epoch = $3, parameter_count = $4, lease_expires_at = greatest(lease_expires_at, now())
            where id = $1
            """, conn, tx))
        {
            progress.Parameters.AddWithValue(runId);
            progress.Parameters.AddWithValue(report.Epoch);
            progress.Parameters.AddWithValue(bestEpoch);
            progress.Parameters.AddWithValue(parameterCount);
            await progress.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return maxEpochs;
    }

    private static async Task SaveCheckpointAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long runId, string kind, CheckpointData c, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            insert into checkpoints (run_id, kind, epoch, val_loss, model_state, optimizer_state, trainer_state, created_at)
            values ($1, $2, $3, $4, $5, $6, $7, now())
            on conflict (run_id, kind) do update set epoch = excluded.epoch, val_loss = excluded.val_loss, model_state = excluded.model_state,
              optimizer_state = excluded.optimizer_state, trainer_state = excluded.trainer_state, created_at = excluded.created_at
            """, conn, tx);
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(kind);
        cmd.Parameters.AddWithValue(c.Epoch);
        cmd.Parameters.AddWithValue(c.ValLoss);
        cmd.Parameters.AddWithValue(c.ModelState);
        cmd.Parameters.AddWithValue(c.OptimizerState);
        cmd.Parameters.Add(new NpgsqlParameter { Value = c.TrainerStateJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Starts a diverged run over with new hyperparameters (a lower learning rate): its epochs and checkpoints are
    /// removed and the restart is counted, in one transaction under the lease.
    /// </summary>
    public async Task<bool> RestartAfterDivergenceAsync(long runId, string owner, int retries, string hyperparameters, CancellationToken ct)
    {
        await using var conn = await _db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            with run as (
              update runs set divergence_retries = $3, hyperparameters = $4::jsonb, epochs_done = 0, best_epoch = null
              where id = $1 and lease_owner = $2 returning id),
            epochs as (delete from epoch_metrics where run_id in (select id from run)),
            checkpoints as (delete from checkpoints where run_id in (select id from run))
            select count(*) from run
            """, conn, tx);
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(owner);
        cmd.Parameters.AddWithValue(retries);
        cmd.Parameters.AddWithValue(hyperparameters);
        var updated = (long)(await cmd.ExecuteScalarAsync(ct))!;
        await tx.CommitAsync(ct);
        return updated == 1;
    }

    public sealed record Outcome(string Status, double? TrainLoss, double? ValLoss, double? TestLoss, string? StopReason, string? Error);

    /// <summary>Records how the run ended and drops the lease, in one statement guarded by the lease.</summary>
    public async Task<bool> FinishAsync(long runId, string owner, Outcome outcome, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            update runs set status = $3, train_loss = $4, val_loss = $5, test_loss = $6, stop_reason = $7, error = $8,
                            finished_at = now(), lease_owner = null, lease_expires_at = null
            where id = $1 and lease_owner = $2
            """);
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(owner);
        cmd.Parameters.AddWithValue(outcome.Status);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.TrainLoss ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.ValLoss ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.TestLoss ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.StopReason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.Error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public void Dispose() => _db.Dispose();
}
