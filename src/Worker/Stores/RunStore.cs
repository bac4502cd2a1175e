using Npgsql;
using Polly;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Schema;
using RnnSweep.Worker.Training;

namespace RnnSweep.Worker.Stores;

/// <summary>
/// What a run's jobs read from PostgreSQL (the run, its corpus, its checkpoints), and <see cref="Life"/>, through which
/// every change of the run goes. Transient errors (a database restart) are retried here for up to
/// <see cref="Transient.WorkerPatience"/>, not by callers.
/// </summary>
public sealed class RunStore : IDisposable
{
    private readonly NpgsqlDataSource _db;
    private readonly ResiliencePipeline _retry;

    public RunStore(string connectionString, ILogger? log = null)
    {
        _db = NpgsqlDataSource.Create(connectionString);
        _retry = Transient.Pipeline(Transient.WorkerPatience, log);
        Life = new RunLife(_db, Transient.WorkerPatience, log);
    }

    /// <summary>The run's state machine: lease, epoch commits, divergence restarts, finish.</summary>
    public RunLife Life { get; }

    /// <param name="Hyperparameters">As submitted (JSON); <see cref="RunHyperparameters.Effective"/> gives what to train with.</param>
    /// <param name="MaxEpochs">The run's current epoch cap.</param>
    public sealed record RunInfo(long Id, long SweepId, string Model, int Layers, int Hidden, string Hyperparameters, string Status, string CorpusSha256,
        string Sweep, int DivergenceRetries, string Queue, int MaxEpochs);

    public Task<RunInfo?> FindAsync(long runId, CancellationToken ct) => FindWhereAsync("r.id = $1", runId, ct);

    public Task<RunInfo?> FindAnyOfSweepAsync(long sweepId, CancellationToken ct) => FindWhereAsync("r.sweep_id = $1 order by r.id limit 1", sweepId, ct);

    private Task<RunInfo?> FindWhereAsync(string where, long id, CancellationToken ct) => RetryAsync(async ct =>
    {
        await using var cmd = _db.CreateCommand($"""
            select r.id, r.sweep_id, r.model, r.layers, r.hidden, r.hyperparameters::text, r.status, c.sha256, s.name, r.divergence_retries, s.queue, r.max_epochs
            from runs r join sweeps s on s.id = r.sweep_id join corpora c on c.id = s.corpus_id where {where}
            """);
        cmd.Parameters.AddWithValue(id);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new RunInfo(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4),
            reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetInt32(9), reader.GetString(10), reader.GetInt32(11));
    }, ct);

    /// <summary>
    /// Streams the corpus with this checksum from its chunks into <paramref name="file"/> (a fresh file each attempt,
    /// so a retry after a cut connection starts clean); one chunk is in memory at a time.
    /// </summary>
    public Task WriteCorpusToAsync(string sha256, string file, CancellationToken ct) => RetryAsync(async ct =>
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        long id;
        await using (var cmd = new NpgsqlCommand("select id from corpora where sha256 = $1", connection))
        {
            cmd.Parameters.AddWithValue(sha256);
            id = (long)(await cmd.ExecuteScalarAsync(ct) ?? throw new InvalidOperationException($"corpus {sha256} is not in the database"));
        }
        await using var output = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true);
        await CorpusChunks.CopyToAsync(connection, id, output, ct);
        return true;
    }, ct);

    /// <param name="kind">One of <see cref="Shared.Domain.CheckpointKind"/>.</param>
    public Task<CheckpointData?> LoadCheckpointAsync(long runId, string kind, CancellationToken ct) => RetryAsync(async ct =>
    {
        await using var cmd = _db.CreateCommand(
            "select epoch, val_loss, model_state, optimizer_state, trainer_state::text from checkpoints where run_id = $1 and kind = $2");
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(kind);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new CheckpointData(reader.GetInt32(0), reader.GetDouble(1), (byte[])reader[2], (byte[])reader[3], reader.GetString(4));
    }, ct);

    /// <summary>The run's estimated cost of one epoch (estimated_cost over the submitted cap); null when it has none.</summary>
    public Task<double?> EpochCostAsync(long runId, CancellationToken ct) => RetryAsync(async ct =>
    {
        await using var cmd = _db.CreateCommand(
            "select estimated_cost / greatest((hyperparameters->>'maxEpochs')::int, 1) from runs where id = $1");
        cmd.Parameters.AddWithValue(runId);
        return await cmd.ExecuteScalarAsync(ct) as double?;
    }, ct);

    /// <summary><see cref="RunLife.CommitEpochAsync"/> with the trainer's report and checkpoint.</summary>
    /// <returns>The run's epoch cap as stored now, or null when the lease is lost (or the run cancelled) and nothing was written.</returns>
    public Task<int?> CommitEpochAsync(long runId, string owner, long parameterCount, EpochReport report, CheckpointData latest, bool isBest, int bestEpoch, CancellationToken ct) =>
        Life.CommitEpochAsync(runId, owner, new EpochCommit(report.Epoch, report.TrainLoss, report.ValLoss, report.ValAccuracy, report.LearningRate, report.GradNorm,
            report.CharsPerSecond, report.Seconds, parameterCount, bestEpoch, isBest,
            new StoredCheckpoint(latest.Epoch, latest.ValLoss, latest.ModelState, latest.OptimizerState, latest.TrainerStateJson)), ct);

    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken ct) =>
        await _retry.ExecuteAsync(async token => await call(token), ct);

    public void Dispose()
    {
        Life.Dispose();
        _db.Dispose();
    }
}
