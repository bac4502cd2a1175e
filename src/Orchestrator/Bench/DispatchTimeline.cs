using Npgsql;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.Bench;

/// <summary>
/// Where a Worker's time went between its runs in <c>rnnsweep bench dispatch</c>, from timestamps only: Hangfire's
/// state rows (Processing: the job was fetched and is about to be performed, with the server that took it;
/// Succeeded: the job method returned) and the run's own lease and finish times. All are the database's or this
/// machine's clock, in seconds; means over the runs of one measurement.
/// </summary>
/// <param name="JobToLease">Processing state written to the run's lease taken: job activation, the run's row read, the lease update.</param>
/// <param name="FinishToSucceeded">Run finished to Succeeded state written: the job's own clean-up and Hangfire's state change.</param>
/// <param name="SucceededToNextJob">Succeeded state of one job to the Processing state of the next job on the same Worker: queue removal, fetch, job load.</param>
/// <param name="FirstLeaseLag">Per Worker, its first lease after the first lease of any Worker (start-up: first fetch, first job's JIT).</param>
/// <param name="StartOrderInversions">
/// Pairs of runs where the cheaper one's job reached Processing before the costlier one's. The fetch itself is in job
/// id order (DispatchOrderTests); Workers that fetch within a few round trips of each other can still write their
/// Processing states in the other order, so a few inversions among near-simultaneous starts are not a wrong order.
/// </param>
public sealed record DispatchTimeline(double JobToLease, double FinishToSucceeded, double SucceededToNextJob, double FirstLeaseLag, int StartOrderInversions)
{
    /// <summary>Reads the timeline of one sweep's runs (each run's current Hangfire job, its last Processing and Succeeded states).</summary>
    public static async Task<DispatchTimeline> ReadAsync(NpgsqlConnection conn, long sweepId, CancellationToken ct)
    {
        var schema = DatabaseSettings.HangfireSchema;
        await using var cmd = new NpgsqlCommand($"""
            select r.estimated_cost, r.started_at, r.finished_at, p.createdat, p.data ->> 'ServerId', s.createdat
            from runs r
            join lateral (select createdat, data from {schema}.state where jobid = r.job_id::bigint and name = 'Processing' order by id desc limit 1) p on true
            join lateral (select createdat from {schema}.state where jobid = r.job_id::bigint and name = 'Succeeded' order by id desc limit 1) s on true
            where r.sweep_id = $1
            """, conn);
        cmd.Parameters.AddWithValue(sweepId);
        var rows = new List<(double Cost, DateTimeOffset Lease, DateTimeOffset Finished, DateTimeOffset Processing, string Server, DateTimeOffset Succeeded)>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetDouble(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2),
                    reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5)));
            }
        }
        if (rows.Count == 0) return new DispatchTimeline(0, 0, 0, 0, 0);
        var gaps = new List<double>();
        var firstLeases = new List<DateTimeOffset>();
        foreach (var server in rows.GroupBy(r => r.Server))
        {
            var jobs = server.OrderBy(r => r.Processing).ToList();
            firstLeases.Add(jobs[0].Lease);
            for (var i = 1; i < jobs.Count; i++) gaps.Add((jobs[i].Processing - jobs[i - 1].Succeeded).TotalSeconds);
        }
        var first = firstLeases.Min();
        var byFetch = rows.OrderBy(r => r.Processing).ToList();
        var inversions = 0;
        for (var i = 0; i < byFetch.Count; i++)
        {
            for (var j = i + 1; j < byFetch.Count; j++)
            {
                if (byFetch[i].Cost < byFetch[j].Cost) inversions++;
            }
        }
        return new DispatchTimeline(
            rows.Average(r => (r.Lease - r.Processing).TotalSeconds),
            rows.Average(r => (r.Succeeded - r.Finished).TotalSeconds),
            gaps.Count == 0 ? 0 : gaps.Average(),
            firstLeases.Average(l => (l - first).TotalSeconds),
            inversions);
    }
}
