using Npgsql;
using NpgsqlTypes;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Runs;
using RnnSweep.Worker.Analysis;

namespace RnnSweep.Worker.Stores;

/// <summary>Writes the analyses of a run, each set replaced whole in one transaction (running an analysis twice is harmless).</summary>
public sealed class AnalysisStore(string connectionString) : IDisposable
{
    private readonly NpgsqlDataSource _db = NpgsqlDataSource.Create(connectionString);

    public sealed record NewSample(string Method, double Temperature, int TopK, string PrimeText, long Seed, int Length, string Text);

    /// <returns>False, with nothing stored, when the run is no longer one that ended with losses (resumed or cancelled meanwhile).</returns>
    public async Task<bool> SaveRunAnalysesAsync(long runId, IReadOnlyList<SaturationPoint> saturation, CellActivations cells,
        InterpretableCells.Report interpretable, IReadOnlyList<NewSample> samples, float[] testPredictions, CancellationToken ct)
    {
        await using var conn = await _db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        foreach (var table in new[] { "gate_saturation", "cell_activations", "interpretable_cells", "interpretable_thresholds", "test_predictions" })
        {
            await using var delete = new NpgsqlCommand($"delete from {table} where run_id = $1", conn, tx);
            delete.Parameters.AddWithValue(runId);
            await delete.ExecuteNonQueryAsync(ct);
        }
        // The run's own samples are replaced; samples people requested later are kept.
        await using (var delete = new NpgsqlCommand("delete from samples where run_id = $1 and created_at <= (select finished_at from runs where id = $1)", conn, tx))
        {
            delete.Parameters.AddWithValue(runId);
            await delete.ExecuteNonQueryAsync(ct);
        }

        await using (var writer = await conn.BeginBinaryImportAsync(
                         "copy gate_saturation (run_id, layer, gate, unit, left_fraction, right_fraction) from stdin (format binary)", ct))
        {
            foreach (var p in saturation)
            {
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(runId, NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(p.Layer, NpgsqlDbType.Integer, ct);
                await writer.WriteAsync(p.Gate.Name(), NpgsqlDbType.Text, ct);
                await writer.WriteAsync(p.Unit, NpgsqlDbType.Integer, ct);
                await writer.WriteAsync(p.LeftFraction, NpgsqlDbType.Double, ct);
                await writer.WriteAsync(p.RightFraction, NpgsqlDbType.Double, ct);
            }
            await writer.CompleteAsync(ct);
        }

        await using (var insert = new NpgsqlCommand(
                         "insert into cell_activations (run_id, text, layers, steps, hidden, scale, values) values ($1, $2, $3, $4, $5, $6, $7)", conn, tx))
        {
            insert.Parameters.AddWithValue(runId);
            insert.Parameters.AddWithValue(cells.Text);
            insert.Parameters.AddWithValue(cells.Layers);
            insert.Parameters.AddWithValue(cells.Steps);
            insert.Parameters.AddWithValue(cells.Hidden);
            insert.Parameters.AddWithValue(cells.Scale);
            insert.Parameters.AddWithValue(cells.Values);
            await insert.ExecuteNonQueryAsync(ct);
        }

        foreach (var t in interpretable.Thresholds)
        {
            await using var insert = new NpgsqlCommand(
                "insert into interpretable_thresholds (run_id, feature, threshold, shift_threshold, initial_threshold, characters, streams, shifts) " +
                "values ($1, $2, $3, $4, $5, $6, $7, $8)", conn, tx);
            insert.Parameters.AddWithValue(runId);
            insert.Parameters.AddWithValue(t.Feature);
            insert.Parameters.AddWithValue(t.Threshold);
            insert.Parameters.AddWithValue(t.ShiftThreshold);
            insert.Parameters.Add(new NpgsqlParameter { Value = double.IsFinite(t.InitialThreshold) ? t.InitialThreshold : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            insert.Parameters.AddWithValue(interpretable.Characters);
            insert.Parameters.AddWithValue(interpretable.Streams);
            insert.Parameters.AddWithValue(interpretable.Shifts);
            await insert.ExecuteNonQueryAsync(ct);
        }
        await using (var insert = new NpgsqlCommand("insert into test_predictions (run_id, probabilities) values ($1, $2)", conn, tx))
        {
            insert.Parameters.AddWithValue(runId);
            insert.Parameters.AddWithValue(testPredictions);
            await insert.ExecuteNonQueryAsync(ct);
        }
        var ranks = new Dictionary<string, int>();
        foreach (var c in interpretable.Units)
        {
            ranks[c.Feature] = ranks.GetValueOrDefault(c.Feature) + 1;
            await using var insert = new NpgsqlCommand(
                "insert into interpretable_cells (run_id, feature, rank, layer, unit, correlation, threshold) values ($1, $2, $3, $4, $5, $6, $7)", conn, tx);
            insert.Parameters.AddWithValue(runId);
            insert.Parameters.AddWithValue(c.Feature);
            insert.Parameters.AddWithValue(ranks[c.Feature]);
            insert.Parameters.AddWithValue(c.Layer);
            insert.Parameters.AddWithValue(c.Unit);
            insert.Parameters.AddWithValue(c.Correlation);
            insert.Parameters.AddWithValue(c.Threshold);
            await insert.ExecuteNonQueryAsync(ct);
        }

        foreach (var s in samples)
        {
            await using var insert = new NpgsqlCommand("""
                insert into samples (run_id, method, temperature, top_k, prime_text, seed, length, text, texts, created_at, finished_at)
                values ($1, $2, $3, $4, $5, $6, $7, $8, array[$8], (select finished_at from runs where id = $1), now())
                """, conn, tx);
            insert.Parameters.AddWithValue(runId);
            insert.Parameters.AddWithValue(s.Method);
            insert.Parameters.AddWithValue(s.Temperature);
            insert.Parameters.AddWithValue(s.TopK);
            insert.Parameters.AddWithValue(s.PrimeText);
            insert.Parameters.AddWithValue(s.Seed);
            insert.Parameters.AddWithValue(s.Length);
            insert.Parameters.AddWithValue(s.Text);
            await insert.ExecuteNonQueryAsync(ct);
        }

        // Checked in the same transaction: a run cancelled or resumed meanwhile is not marked analysed (rolled back).
        if (!await RunLife.MarkAnalysedAsync(conn, tx, runId, ct)) return false;
        await tx.CommitAsync(ct);
        return true;
    }

    /// <param name="Count">Texts to draw in one pass, with seeds <paramref name="Seed"/>, +1, ...</param>
    /// <param name="Text">The first text once made; null while pending.</param>
    public sealed record SampleRequest(long Id, long RunId, string Method, double Temperature, int TopK, string PrimeText, long Seed, int Length, int Count, string? Text);

    public async Task<SampleRequest?> FindSampleAsync(long sampleId, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("select id, run_id, method, temperature, top_k, prime_text, seed, length, count, text from samples where id = $1");
        cmd.Parameters.AddWithValue(sampleId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new SampleRequest(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetDouble(3), r.GetInt32(4), r.GetString(5), r.GetInt64(6), r.GetInt32(7),
            r.GetInt32(8), r.IsDBNull(9) ? null : r.GetString(9));
    }

    /// <param name="texts">Every text of the request in seed order (the first is also stored as <c>text</c>); null with an error.</param>
    public async Task FinishSampleAsync(long sampleId, string[]? texts, string? error, CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("update samples set text = $2[1], texts = $2, error = $3, finished_at = now() where id = $1");
        cmd.Parameters.AddWithValue(sampleId);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)texts ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A model's probability of the correct symbol at every position of the test split (NaN: not scored), with the symbols.</summary>
    public sealed record CharPredictions(int Order, int[] Symbols, float[] Probabilities);

    public async Task SaveNGramBaselineAsync(long sweepId, NGramReport report, CharPredictions? predictions, TestOracles? oracles, CancellationToken ct)
    {
        await using var conn = await _db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        foreach (var table in new[] { "ngram_baselines", "ngram_predictions", "test_oracles" })
        {
            await using var delete = new NpgsqlCommand($"delete from {table} where sweep_id = $1", conn, tx);
            delete.Parameters.AddWithValue(sweepId);
            await delete.ExecuteNonQueryAsync(ct);
        }
        if (predictions is not null)
        {
            await using var insert = new NpgsqlCommand("insert into ngram_predictions (sweep_id, \"order\", symbols, probabilities) values ($1, $2, $3, $4)", conn, tx);
            insert.Parameters.AddWithValue(sweepId);
            insert.Parameters.AddWithValue(predictions.Order);
            insert.Parameters.AddWithValue(predictions.Symbols);
            insert.Parameters.AddWithValue(predictions.Probabilities);
            await insert.ExecuteNonQueryAsync(ct);
        }
        if (oracles is not null)
        {
            await using var insert = new NpgsqlCommand("""
                insert into test_oracles (sweep_id, max_oracle_order, ngram_order, memory_window, train_count, previous_class, character_class, opener_distance)
                values ($1, $2, $3, $4, $5, $6, $7, $8)
                """, conn, tx);
            insert.Parameters.AddWithValue(sweepId);
            insert.Parameters.AddWithValue(Math.Min(TestOracles.MaxOracleOrder, report.ComputedOrder));
            insert.Parameters.AddWithValue(oracles.NGramOrder);
            insert.Parameters.AddWithValue(oracles.MemoryWindow);
            insert.Parameters.AddWithValue(oracles.TrainCount);
            insert.Parameters.AddWithValue(oracles.PreviousClass);
            insert.Parameters.AddWithValue(oracles.Class);
            insert.Parameters.AddWithValue(oracles.OpenerDistance);
            await insert.ExecuteNonQueryAsync(ct);
        }
        foreach (var loss in report.Losses)
        {
            await using var insert = new NpgsqlCommand(
                "insert into ngram_baselines (sweep_id, \"order\", smoothing, test_loss, created_at) values ($1, $2, $3, $4, now())", conn, tx);
            insert.Parameters.AddWithValue(sweepId);
            insert.Parameters.AddWithValue(loss.Order);
            insert.Parameters.AddWithValue(report.Smoothing);
            insert.Parameters.AddWithValue(loss.CrossEntropy);
            await insert.ExecuteNonQueryAsync(ct);
        }
        await RunLife.ForgetWorkJobsAsync(conn, tx, WorkKind.NGramBaseline, [sweepId], ct);
        await tx.CommitAsync(ct);
    }

    public void Dispose() => _db.Dispose();
}
