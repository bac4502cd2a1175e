using System.CommandLine;
using RnnSweep.Orchestrator.LocalCluster;
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
        var view = new Option<string>("--view")
        {
            Description = "How a cell with several runs (seeds, axes) is shown: best (the run with the lowest validation loss, and the values chosen), mean (mean ± sd over seeds, with n, of the setting validation chose), slice (one run per cell, see --slice)",
            DefaultValueFactory = _ => LossTableViews.Best,
        };
        view.AcceptOnlyFromAmong([.. LossTableViews.All]);
        var slice = new Option<string?>("--slice") { Description = "With --view slice: a value of every axis, e.g. dropout=0.25,seed=42" };
        var command = new Command("table", """
            Print a sweep's loss table as the paper's Table 1: rows hidden size, columns model x layers; the best cell in bold.
            Cells that have no loss yet show their status (queued, running, failed, diverged, cancelled).
            Examples:
              rnnsweep table 3
              rnnsweep table 3 --loss val
              rnnsweep table 3 --view mean               mean ± sd over seeds, with n
              rnnsweep table 3 --view slice --slice dropout=0.25,seed=42
            """) { sweepId, loss, view, slice };
        command.SetAction((parse, ct) => CliOptions.Guard(async () =>
        {
            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
            await using var db = DatabaseSettings.CreateContext(connection.ConnectionString);
            var id = parse.GetValue(sweepId);
            var table = await LossTable.LoadAsync(db, id, parse.GetValue(view)!, parse.GetValue(slice), ct)
                        ?? throw new Shared.Domain.ValidationException("sweep-id", $"no sweep {id}");
            TableView.Print(table, parse.GetValue(loss)!, ngram: await Dashboard.NGramRow.LoadAsync(db, id, ct));
            return 0;
        }));
        return command;
    }
}
