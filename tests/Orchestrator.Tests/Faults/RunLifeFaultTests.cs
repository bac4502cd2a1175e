using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Orchestrator.Tests.Support;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Schema;
using Xunit.Abstractions;

namespace RnnSweep.Orchestrator.Tests.Faults;

/// <summary>Cancel wins over a Worker's last writes; a dead Worker's lease is shown expired; a database restart costs no request.</summary>
[Collection(DatabaseCollection.Name)]
[Trait("Category", "WorkerProcess")]
public sealed class RunLifeFaultTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const int LongEpochs = 3;
    private static readonly string LongText = GeneratedText.Sentences(160_000, seed: 5);

    /// <summary>A cell whose epochs last a few seconds, so a cancel lands inside the last one.</summary>
    private static object LongSpec(string name) => new
    {
        name,
        corpus = "cancel-last-epoch",
        corpusText = LongText,
        models = new[] { "lstm" },
        layers = new[] { 1 },
        hiddenSizes = new[] { 48 },
        hyperparameters = new { maxEpochs = LongEpochs, patience = LongEpochs, seqLength = 16, batchSize = 8, learningRate = 0.005, dropout = 0.1, seed = 11 },
    };

    [Fact]
    public async Task CancelDuringTheLastEpoch_EndsCancelledWithoutAnalysis_AndResumeFinishesIt()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--Reaper:Interval=00:00:01");
        await using var worker = WorkerProcess.Start(host.ConnectionString, "w", FaultSweep.FastTakeover);
        try
        {
            var sweep = await FaultSweep.SubmitAsync(host, LongSpec("cancel in the last epoch"));
            Run run;
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (true)
            {
                await using var db = host.Db();
                run = await db.Runs.AsNoTracking().SingleAsync(r => r.SweepId == sweep);
                if (run.EpochsDone == LongEpochs - 1) break;
                Assert.True(run.EpochsDone < LongEpochs - 1 && DateTime.UtcNow < deadline, $"missed the last epoch: {run.Status} after {run.EpochsDone}\n{worker.Output}");
                await Task.Delay(50);
            }
            var cancelled = await (await host.Http.PostAsync($"/api/sweeps/{sweep}/cancel", null)).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(1, cancelled.GetProperty("cancelled").GetInt32());

            // The Worker stops (lease lost at its commit, or its job deleted), and nothing it does afterwards counts.
            await UntilAsync(() => Task.FromResult(worker.Output.Contains($"Run {run.Id} stopped") || worker.Output.Contains($"Run {run.Id} released")), worker);
            await Task.Delay(TimeSpan.FromSeconds(6)); // several reaper passes: an analysis would have been dispatched by now
            await using (var db = host.Db())
            {
                var after = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == run.Id);
                Assert.Equal(RunStatus.Cancelled, after.Status);
                Assert.Null(after.AnalyzedAt);
                Assert.Null(after.TestLoss);
                Assert.Equal(LongEpochs - 1, after.EpochsDone);
                Assert.False(await db.GateSaturation.AnyAsync(g => g.RunId == run.Id));
                Assert.False(await db.WorkJobs.AnyAsync(w => w.Kind == WorkKind.Analysis && w.SubjectId == run.Id));
            }

            var resumed = await (await host.Http.PostAsync($"/api/sweeps/{sweep}/resume", null)).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(1, resumed.GetProperty("enqueued").GetInt32());
            var finished = (await SweepWaiter.UntilFinishedAsync(host.Db, sweep, TimeSpan.FromMinutes(3), () => worker.Output, analyzed: true)).Single();
            Assert.Equal(RunStatus.Succeeded, finished.Status);
            Assert.NotNull(finished.AnalyzedAt);
            Assert.Contains($"Resuming run {run.Id} after epoch {LongEpochs - 1}", worker.Output);
            Assert.Equal(Enumerable.Range(1, LongEpochs), (await FaultSweep.EpochsAsync(host, run.Id)).Select(m => m.Epoch));
        }
        finally
        {
            worker.WriteTo(output);
        }
    }

    [Fact]
    public async Task KilledWorker_WithinOneLeaseDuration_TheApiAndTheCliShowTheLeaseExpired()
    {
        var lease = TimeSpan.FromSeconds(4);
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync());
        await using var worker = WorkerProcess.Start(host.ConnectionString, "w", new Dictionary<string, string>(FaultSweep.FastTakeover)
        {
            ["Worker__LeaseDuration"] = "00:00:04",
        });
        try
        {
            var sweep = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("killed"));
            await SweepWaiter.UntilEpochsAsync(host.Db, sweep, 1, TimeSpan.FromMinutes(2), () => worker.Output);
            long runId;
            await using (var db = host.Db()) runId = (await db.Runs.SingleAsync(r => r.SweepId == sweep)).Id;
            var held = await host.Http.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}");
            Assert.False(held.GetProperty("lease").GetProperty("expired").GetBoolean());

            var clock = Stopwatch.StartNew();
            worker.Signal("KILL");
            Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(10)));
            // The lease was last renewed before the kill, so one lease duration later it has lapsed whatever the machine's load.
            if (clock.Elapsed < lease) await Task.Delay(lease - clock.Elapsed + TimeSpan.FromMilliseconds(200));

            var run = await host.Http.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s after SIGKILL the API says: {run.GetProperty("lease")}");
            Assert.Equal(RunStatus.Running, run.GetProperty("status").GetString());
            Assert.True(run.GetProperty("lease").GetProperty("expired").GetBoolean());
            Assert.Contains(LeaseState.WaitingForTakeover, run.GetProperty("lease").GetProperty("text").GetString());
            var inSweep = (await host.Http.GetFromJsonAsync<JsonElement>($"/api/sweeps/{sweep}")).GetProperty("runs")[0];
            Assert.True(inSweep.GetProperty("lease").GetProperty("expired").GetBoolean());

            // The dashboard: the loss table's cell and the run's page.
            Assert.Contains(LeaseState.WaitingForTakeover, await host.Http.GetStringAsync($"/sweeps/{sweep}"));
            Assert.Contains(LeaseState.WaitingForTakeover, await host.Http.GetStringAsync($"/runs/{runId}"));

            var (exit, stdout) = await RunCliAsync(host.ConnectionString, "status", sweep.ToString(System.Globalization.CultureInfo.InvariantCulture));
            output.WriteLine(stdout);
            Assert.Equal(0, exit);
            Assert.Matches(@"lease expired \d+ s ago, waiting for takeover", stdout);

            await using (var db = host.Db())
            {
                var state = await db.Database.SqlQuery<string>($"select lease_state as \"Value\" from loss_table where run_id = {runId}").SingleAsync();
                Assert.Equal("expired: waiting for takeover", state);
            }
        }
        finally
        {
            worker.WriteTo(output);
        }
    }

    [Fact]
    public async Task DatabaseRestarted_ThenASweepAndASampleAtOnce_BothSucceedAndArrive()
    {
        await using var host = await OrchestratorHost.StartAsync(await postgres.CreateDatabaseAsync(), "--Reaper:Interval=00:00:02");
        await using var worker = WorkerProcess.Start(host.ConnectionString, "w", FaultSweep.FastTakeover);
        try
        {
            var first = await FaultSweep.SubmitAsync(host, FaultSweep.Spec("before the restart"));
            var trained = (await SweepWaiter.UntilFinishedAsync(host.Db, first, TimeSpan.FromMinutes(2), () => worker.Output)).Single();
            Assert.Equal(RunStatus.Succeeded, trained.Status);

            await postgres.Server.StopServerAsync();
            await postgres.Server.StartServerAsync();
            // No pool is cleared: every pooled connection of this process is dead, as in a real Orchestrator after a restart.

            var submit = host.Http.PostAsJsonAsync("/api/sweeps", FaultSweep.Spec("after the restart", ["gru"]));
            var sample = host.Http.PostAsJsonAsync($"/api/runs/{trained.Id}/samples?wait=0", new { length = 40, method = "greedy" });
            using var submitted = await submit;
            using var requested = await sample;
            var submittedBody = await submitted.Content.ReadAsStringAsync();
            var requestedBody = await requested.Content.ReadAsStringAsync();
            output.WriteLine($"submit {(int)submitted.StatusCode}, sample {(int)requested.StatusCode}");
            Assert.True(submitted.IsSuccessStatusCode, $"submit after the restart: {(int)submitted.StatusCode} {submittedBody}");
            Assert.True(requested.IsSuccessStatusCode, $"sample after the restart: {(int)requested.StatusCode} {requestedBody}");
            var sweep = JsonDocument.Parse(submittedBody).RootElement.GetProperty("id").GetInt64();
            var sampleId = JsonDocument.Parse(requestedBody).RootElement.GetProperty("id").GetInt64();

            await UntilAsync(async () =>
            {
                await using var db = host.Db();
                return await db.NGramBaselines.AnyAsync(n => n.SweepId == sweep) && await db.Samples.AnyAsync(s => s.Id == sampleId && s.Text != null);
            }, worker, async () =>
            {
                await using var db = host.Db();
                var jobs = await db.Database.SqlQuery<string>($"select statename || ' ' || count(*) as \"Value\" from hangfire.job group by statename").ToListAsync();
                var work = await db.WorkJobs.AsNoTracking().Select(w => $"{w.Kind} {w.SubjectId} job {w.JobId} x{w.Dispatches}").ToListAsync();
                return $"hangfire jobs: {string.Join(", ", jobs)}; work_jobs: {string.Join(", ", work)}";
            });
            var runs = await SweepWaiter.UntilFinishedAsync(host.Db, sweep, TimeSpan.FromMinutes(3), () => worker.Output);
            Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        }
        finally
        {
            worker.WriteTo(output);
        }
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, WorkerProcess worker, Func<Task<string>>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Npgsql.NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                // this test's own reads may meet a dead pooled connection after the restart
            }
            if (DateTime.UtcNow >= deadline) Assert.Fail("timed out\n" + (diagnostics is null ? "" : await diagnostics() + "\n") + worker.Output);
            await Task.Delay(200);
        }
    }

    /// <summary>Runs <c>rnnsweep ARGS</c> in this process with RNNSWEEP_CONNECTION set, capturing standard output.</summary>
    private static async Task<(int Exit, string Stdout)> RunCliAsync(string connection, params string[] args)
    {
        var previousOut = Console.Out;
        var previousConnection = Environment.GetEnvironmentVariable(DatabaseSettings.EnvironmentVariable);
        var captured = new StringWriter();
        Console.SetOut(captured);
        Environment.SetEnvironmentVariable(DatabaseSettings.EnvironmentVariable, connection);
        try
        {
            return (await CliRoot.RunAsync(args), captured.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Environment.SetEnvironmentVariable(DatabaseSettings.EnvironmentVariable, previousConnection);
        }
    }
}
