using Microsoft.EntityFrameworkCore;
using Npgsql;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Domain;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Faults;

/// <summary>
/// A Worker with <c>Worker:Concurrency</c> 2 takes two runs' jobs at once: one trains while the other waits for the
/// torch lock, holding its run's lease. That lease must be renewed while it waits. Otherwise it lapses after one lease
/// duration: the run reads "lease expired, waiting for takeover" while its job is alive, and the reaper gives it a
/// second job.
/// </summary>
[Trait("Category", "WorkerProcess")]
[Collection(DatabaseCollection.Name)]
public sealed class ConcurrentJobsLeaseTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task ARunWaitingForTheTorchLock_KeepsItsLease()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await using var orchestrator = await OrchestratorHost.StartAsync(connection);
        // Two seeds of one cell, 4 simulated epochs of 1.5 s each: a run holds the torch lock for about 6 s, two lease
        // durations of 3 s (FaultSweep.FastTakeover).
        var (sweepId, secondsPerCost) = await SimulatedSweep.SubmitAsync(orchestrator, "concurrent", "concurrent", seeds: 2, epochs: 4, epochSeconds: 1.5);
        await using var worker = WorkerProcess.Start(connection, "concurrent-worker", new Dictionary<string, string>(FaultSweep.FastTakeover)
        {
            ["Worker__Queues__0"] = "concurrent",
            ["Worker__Concurrency"] = "2",
            ["Worker__SimulatedSecondsPerCost"] = secondsPerCost,
        });
        try
        {
            // Every 200 ms, on the database's clock: how many runs are running, and how many of them with a lapsed lease.
            var (bothLeased, lapsed) = (false, new List<string>());
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
            while (true)
            {
                await using (var sql = new NpgsqlConnection(connection))
                {
                    await sql.OpenAsync();
                    await using var cmd = new NpgsqlCommand("""
                        select count(*) filter (where status = $2 and lease_owner is not null and lease_expires_at > now()),
                               string_agg(format('run %s expired %s ago', id, now() - lease_expires_at), '; ')
                                 filter (where status = $2 and lease_owner is not null and lease_expires_at <= now()),
                               count(*) filter (where status = any($3))
                        from runs where sweep_id = $1
                        """, sql);
                    cmd.Parameters.AddWithValue(sweepId);
                    cmd.Parameters.AddWithValue(RunStatus.Running);
                    cmd.Parameters.AddWithValue(RunStatus.All.Where(RunStatus.IsFinal).ToArray());
                    await using var reader = await cmd.ExecuteReaderAsync();
                    await reader.ReadAsync();
                    bothLeased |= reader.GetInt64(0) == 2;
                    if (!reader.IsDBNull(1)) lapsed.Add(reader.GetString(1));
                    if (reader.GetInt64(2) == 2) break;
                }
                if (DateTime.UtcNow > deadline) Assert.Fail($"the two runs did not finish in 3 minutes\n{worker.Output}");
                await Task.Delay(200);
            }

            Assert.True(bothLeased, "the two runs were never leased at once: the Worker did not take both jobs together");
            Assert.True(lapsed.Count == 0, $"a run's lease lapsed while its job was alive: {string.Join(" | ", lapsed)}");
            await using var db = orchestrator.Db();
            var runs = await db.Runs.AsNoTracking().Where(r => r.SweepId == sweepId).ToListAsync();
            Assert.All(runs, r => Assert.Equal((RunStatus.Succeeded, 1, 4), (r.Status, r.Attempt, r.EpochsDone)));
        }
        finally
        {
            worker.WriteTo(output);
        }
    }
}
