using Npgsql;
using RnnSweep.Orchestrator.Api;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Cli;

/// <summary>
/// What <c>rnnsweep status</c> reads, in plain SQL over one Npgsql connection. why not the DbContext: building EF
/// Core's model and compiling two LINQ queries was most of the command's time (measured in README.md, "Command
/// line"); the rows are the same as <see cref="SweepApi.Summaries"/> gives the API.
/// </summary>
public static class StatusQuery
{
    /// <summary>A running run, for <c>status SWEEP</c>'s list under the table.</summary>
    public sealed record RunningRun(long Id, string Model, int Layers, int Hidden, int EpochsDone, string Status, string? LeaseOwner, DateTimeOffset? LeaseExpiresAt);

    /// <summary>Every sweep (or one), newest first, with its runs counted by status (every status present).</summary>
    public static async Task<List<SweepSummary>> SummariesAsync(NpgsqlConnection connection, long? sweepId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            select s.id, s.name, c.name, s.queue, s.created_at, r.status, count(r.id)::int
            from sweeps s join corpora c on c.id = s.corpus_id left join runs r on r.sweep_id = s.id
            where $1::bigint is null or s.id = $1
            group by s.id, s.name, c.name, s.queue, s.created_at, r.status
            order by s.id desc
            """, connection) { Parameters = { new() { Value = (object?)sweepId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint } } };
        var sweeps = new List<SweepSummary>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetInt64(0);
            if (sweeps.Count == 0 || sweeps[^1].Id != id)
            {
                sweeps.Add(new SweepSummary(id, reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4),
                    RunStatus.All.ToDictionary(s => s, _ => 0)));
            }
            if (!reader.IsDBNull(5)) ((Dictionary<string, int>)sweeps[^1].Runs)[reader.GetString(5)] = reader.GetInt32(6);
        }
        return sweeps;
    }

    public static async Task<List<RunningRun>> RunningAsync(NpgsqlConnection connection, long sweepId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            select id, model, layers, hidden, epochs_done, status, lease_owner, lease_expires_at
            from runs where sweep_id = $1 and status = $2 order by id
            """, connection) { Parameters = { new() { Value = sweepId }, new() { Value = RunStatus.Running } } };
        var runs = new List<RunningRun>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            runs.Add(new RunningRun(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7)));
        }
        return runs;
    }
}
