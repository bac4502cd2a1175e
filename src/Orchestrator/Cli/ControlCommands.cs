using System.CommandLine;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Cli;

/// <summary><c>rnnsweep cancel</c> and <c>rnnsweep resume</c>: <see cref="SweepControl"/>, as the API's buttons.</summary>
public static class ControlCommands
{
    public static Command Cancel() => Create("cancel", """
        Cancel a sweep's queued and running cells (or one run): their jobs are deleted and Workers stop at once.
        Checkpoints stay, so 'rnnsweep resume' continues each cell where it stopped.
        Examples:
          rnnsweep cancel 3            every unfinished cell of sweep 3
          rnnsweep cancel 3 --run 17   only run 17
        """, async (control, sweep, run, _, ct) => await control.CancelAsync(sweep, run, ct) is var n && n > 0
            ? (n, $"{Runs(n)} cancelled")
            : (0, $"nothing to cancel: {(run is null ? $"sweep {sweep} has no queued or running run" : $"run {run} is not queued or running")}"));

    public static Command Resume() => Create("resume", """
        Resume a sweep (or one run): failed, diverged, cancelled and lost cells are enqueued again and continue
        from their latest checkpoint; succeeded cells are not trained again, unless --max-epochs raises the
        epoch cap they stopped at. --max-epochs also applies to cells still training, after their current epoch.
        Examples:
          rnnsweep resume 3
          rnnsweep resume 3 --run 17
          rnnsweep resume 3 --max-epochs 100   train on to 100 epochs where early stopping has not ended a cell
        """, async (control, sweep, run, maxEpochs, ct) => await control.ResumeAsync(sweep, run, maxEpochs, ct) is var n && n > 0
            ? (n, $"{Runs(n)} enqueued")
            : (0, $"nothing to resume: {(run is null ? $"no run of sweep {sweep} has" : $"run {run} has not")} failed, diverged, been cancelled or lost its job" +
              (maxEpochs is null ? " (--max-epochs N continues runs that stopped at a lower epoch cap)" : $" or stopped below {maxEpochs} epochs")),
        new Option<int?>("--max-epochs") { Description = "Set the cells' epoch cap first; cells that stopped at a lower cap continue" },
        warnWithoutWorkers: true);

    private static string Runs(int n) => n == 1 ? "1 run" : $"{n} runs";

    /// <param name="warnWithoutWorkers">Warn when no Worker listens on the sweep's queue (the runs enqueued would wait).</param>
    private static Command Create(string name, string description, Func<SweepControl, long, long?, int?, CancellationToken, Task<(int Runs, string Message)>> act,
        Option<int?>? maxEpochsOption = null, bool warnWithoutWorkers = false)
    {
        var sweepId = CliOptions.SweepId();
        var runId = new Option<long?>("--run") { Description = "Only this run of the sweep" };
        var command = new Command(name, description) { sweepId, runId };
        if (maxEpochsOption is not null) command.Options.Add(maxEpochsOption);
        command.SetAction((parse, ct) => CliOptions.Guard(async () =>
        {
            var id = parse.GetValue(sweepId);
            var run = parse.GetValue(runId);
            var maxEpochs = maxEpochsOption is null ? null : parse.GetValue(maxEpochsOption);
            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
            await using var app = Hosting.OrchestratorApp.Build([], connection.ConnectionString);
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RnnSweepDbContext>();
            if (!db.Sweeps.Any(s => s.Id == id)) throw new Shared.Domain.ValidationException("sweep-id", $"no sweep {id}");
            if (run is not null && !db.Runs.Any(r => r.Id == run && r.SweepId == id)) throw new Shared.Domain.ValidationException("--run", $"sweep {id} has no run {run}");
            var (runs, message) = await act(scope.ServiceProvider.GetRequiredService<SweepControl>(), id, run, maxEpochs, ct);
            Console.WriteLine(message);
            if (warnWithoutWorkers && runs > 0)
            {
                LocalServer.WarnWithoutWorkers(app, db.Sweeps.Where(s => s.Id == id).Select(s => s.Queue).Single(),
                    "the runs wait until one starts; 'rnnsweep sweep' with the sweep's options trains them on this machine.");
            }
            return 0;
        }));
        return command;
    }
}
