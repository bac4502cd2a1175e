using Microsoft.EntityFrameworkCore;
using Npgsql;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>
/// A sweep's estimated time to finish, from its runs' estimated costs (<see cref="RunCost"/>) and the throughput
/// measured so far. Once epochs of the sweep have landed, the rate is its own: cost of the epochs done over the
/// wall time since its first run started (so Worker count, job overheads and machine load are all in it); before,
/// the throughput measured on its queue (parameters x characters per second, one Worker) times the runs now running.
/// Epoch caps are assumed reached: a run that stops early makes the estimate shrink as it ends.
/// </summary>
/// <param name="EpochsDone">Epochs finished over all runs.</param>
/// <param name="EpochsPlanned">Epochs of all runs at their caps (finished runs count what they did).</param>
/// <param name="SecondsLeft">Estimated wall seconds to finish; 0 when every run has ended; null when nothing was measured yet.</param>
/// <param name="FinishesAt">Now plus <see cref="SecondsLeft"/>.</param>
/// <param name="Basis"><c>sweep</c> (its own epochs), <c>queue</c> (throughput of its queue), <c>none</c> (no measurement yet) or <c>finished</c>.</param>
public sealed record SweepEstimate(long SweepId, int EpochsDone, int EpochsPlanned, double? SecondsLeft, DateTimeOffset? FinishesAt, string Basis)
{
    /// <summary>"about 3 min 20 s left (finishes 04:12 UTC)", "finished", or "estimate after the first epoch".</summary>
    public string Text => Basis switch
    {
        "finished" => "finished",
        _ when SecondsLeft is not { } s => "time to finish: known after the first epoch",
        _ => $"about {Duration(SecondsLeft.Value)} left (finishes {FinishesAt:HH:mm} UTC; {EpochsDone}/{EpochsPlanned} epochs)",
    };

    public static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, Math.Round(seconds)));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes} min" : t.TotalMinutes >= 1 ? $"{t.Minutes} min {t.Seconds} s" : $"{t.Seconds} s";
    }

    /// <summary>The estimate for <paramref name="sweepId"/> on the context's own connection, or null when there is no such sweep.</summary>
    public static async Task<SweepEstimate?> LoadAsync(RnnSweepDbContext db, long sweepId, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            return await LoadAsync((NpgsqlConnection)db.Database.GetDbConnection(), sweepId, ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>The estimate now; null when there is no such sweep.</summary>
    public static async Task<SweepEstimate?> LoadAsync(NpgsqlConnection conn, long sweepId, CancellationToken ct)
    {
        // Per run: cost of one epoch (the estimate was made for the submitted cap), epochs done and still to do.
        await using var cmd = new NpgsqlCommand("""
            select s.queue, now(),
                   coalesce(sum(r.estimated_cost / greatest((r.hyperparameters->>'maxEpochs')::int, 1) * r.epochs_done), 0),
                   coalesce(sum(r.estimated_cost / greatest((r.hyperparameters->>'maxEpochs')::int, 1) * greatest(r.max_epochs - r.epochs_done, 0))
                            filter (where r.status = any($2)), 0),
                   coalesce(sum(r.epochs_done), 0)::int,
                   coalesce(sum(case when r.status = any($2) then greatest(r.max_epochs, r.epochs_done) else r.epochs_done end), 0)::int,
                   min(r.started_at),
                   count(*) filter (where r.status = any($2)),
                   count(*) filter (where r.status = $3)
            from sweeps s left join runs r on r.sweep_id = s.id
            where s.id = $1
            group by s.queue
            """, conn);
        cmd.Parameters.AddWithValue(sweepId);
        cmd.Parameters.AddWithValue(new[] { RunStatus.Queued, RunStatus.Running });
        cmd.Parameters.AddWithValue(RunStatus.Running);
        string queue;
        DateTimeOffset now;
        double done, left;
        int epochsDone, epochsPlanned;
        DateTimeOffset? started;
        long open, running;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return null;
            queue = reader.GetString(0);
            now = reader.GetFieldValue<DateTimeOffset>(1);
            (done, left) = (reader.GetDouble(2), reader.GetDouble(3));
            (epochsDone, epochsPlanned) = (reader.GetInt32(4), reader.GetInt32(5));
            started = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6);
            (open, running) = (reader.GetInt64(7), reader.GetInt64(8));
        }
        if (open == 0) return new SweepEstimate(sweepId, epochsDone, epochsPlanned, 0, now, "finished");
        var elapsed = started is { } t ? (now - t).TotalSeconds : 0;
        if (done > 0 && elapsed > 0)
        {
            var seconds = left / (done / elapsed);
            return new SweepEstimate(sweepId, epochsDone, epochsPlanned, seconds, now.AddSeconds(seconds), "sweep");
        }
        if (await QueueThroughputAsync(conn, queue, ct) is { } perWorker)
        {
            var seconds = left / (perWorker * Math.Max(1, running));
            return new SweepEstimate(sweepId, epochsDone, epochsPlanned, seconds, now.AddSeconds(seconds), "queue");
        }
        return new SweepEstimate(sweepId, epochsDone, epochsPlanned, null, null, "none");
    }

    /// <summary>
    /// What one Worker of <paramref name="queue"/> trains per second, in cost units (parameters x characters): over
    /// its last 1000 epochs of any sweep, the parameters times characters trained over the seconds they took.
    /// </summary>
    public static async Task<double?> QueueThroughputAsync(NpgsqlConnection conn, string queue, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            select sum(r.parameter_count::float8 * m.chars_per_second * m.seconds) / nullif(sum(m.seconds), 0)
            from (select m.* from epoch_metrics m join runs r on r.id = m.run_id join sweeps s on s.id = r.sweep_id
                  where s.queue = $1 and m.seconds > 0 order by m.created_at desc limit 1000) m
            join runs r on r.id = m.run_id
            where r.parameter_count is not null
            """, conn);
        cmd.Parameters.AddWithValue(queue);
        return await cmd.ExecuteScalarAsync(ct) is double rate && rate > 0 ? rate : null;
    }
}
