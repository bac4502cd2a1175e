using System.CommandLine;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Data;

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
        """, async (control, sweep, run, ct) => $"{await control.CancelAsync(sweep, run, ct)} runs cancelled");

    public static Command Resume() => Create("resume", """
        Resume a sweep (or one run): failed, diverged, cancelled and lost cells are enqueued again and continue
        from their latest checkpoint; succeeded cells are never trained again.
        Examples:
          rnnsweep resume 3
          rnnsweep resume 3 --run 17
        """, async (control, sweep, run, ct) => $"{await control.ResumeAsync(sweep, run, ct)} runs enqueued");

    private static Command Create(string name, string description, Func<SweepControl, long, long?, CancellationToken, Task<string>> act)
    {
        var sweepId = CliOptions.SweepId();
        var runId = new Option<long?>("--run") { Description = "Only this run of the sweep" };
        var command = new Command(name, description) { sweepId, runId };
        command.SetAction((parse, ct) => CliOptions.Guard(async () =>
        {
            var id = parse.GetValue(sweepId);
            var run = parse.GetValue(runId);
            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: true, ct);
            await using var app = Hosting.OrchestratorApp.Build([], connection.ConnectionString);
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RnnSweepDbContext>();
            if (!db.Sweeps.Any(s => s.Id == id)) throw new Shared.Domain.ValidationException("sweep-id", $"no sweep {id}");
            if (run is not null && !db.Runs.Any(r => r.Id == run && r.SweepId == id)) throw new Shared.Domain.ValidationException("--run", $"sweep {id} has no run {run}");
            Console.WriteLine(await act(scope.ServiceProvider.GetRequiredService<SweepControl>(), id, run, ct));
            return 0;
        }));
        return command;
    }
}
