using System.CommandLine;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.Cli;

/// <summary><c>rnnsweep table</c>: a sweep's loss table in the terminal.</summary>
public static class TableCommand
{
    public static Command Create()
    {
        var sweepId = CliOptions.SweepId();
        var loss = new Option<string>("--loss") { Description = "Which loss: test, val or train", DefaultValueFactory = _ => "test" };
        loss.AcceptOnlyFromAmong("test", "val", "train");
        var command = new Command("table", """
            Print a sweep's loss table as the paper's Table 1: rows hidden size, columns model x layers; the best cell in bold.
            Cells that have no loss yet show their status (queued, running, failed, diverged, cancelled).
            Examples:
              rnnsweep table 3
              rnnsweep table 3 --loss val
            """) { sweepId, loss };
        command.SetAction((parse, ct) => CliOptions.Guard(async () =>
        {
            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
            await using var db = DatabaseSettings.CreateContext(connection.ConnectionString);
            var id = parse.GetValue(sweepId);
            var table = await LossTable.LoadAsync(db, id, ct) ?? throw new Shared.Domain.ValidationException("sweep-id", $"no sweep {id}");
            TableView.Print(table, parse.GetValue(loss)!);
            return 0;
        }));
        return command;
    }
}
