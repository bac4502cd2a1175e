using System.CommandLine;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.Cli;

/// <summary><c>rnnsweep export</c>: a sweep's runs and epoch metrics as CSV (the columns of the SQL tables), to files or stdout.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var sweepId = CliOptions.SweepId();
        var what = new Option<string>("--what") { Description = "runs, epochs or both (both needs --dir)", DefaultValueFactory = _ => "runs" };
        what.AcceptOnlyFromAmong("runs", "epochs", "both");
        var dir = new Option<DirectoryInfo?>("--dir") { Description = "Write sweep-ID-runs.csv and/or sweep-ID-epochs.csv into this folder instead of stdout" };
        var command = new Command("export", """
            Export a sweep as CSV: one row per run (grid cell, with its losses) or one row per epoch of every run.
            Examples:
              rnnsweep export 3                       runs of sweep 3 to stdout
              rnnsweep export 3 --what epochs > e.csv  epoch metrics of every run
              rnnsweep export 3 --what both --dir out  out/sweep-3-runs.csv and out/sweep-3-epochs.csv
            """) { sweepId, what, dir };
        command.SetAction((parse, ct) => CliOptions.Guard(async () =>
        {
            var id = parse.GetValue(sweepId);
            var kind = parse.GetValue(what)!;
            var folder = parse.GetValue(dir);
            if (kind == "both" && folder is null) throw new Shared.Domain.ValidationException("--dir", "--what both writes two files: give a folder");
            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
            await using var db = DatabaseSettings.CreateContext(connection.ConnectionString);
            if (!await db.Sweeps.AnyAsync(s => s.Id == id, ct)) throw new Shared.Domain.ValidationException("sweep-id", $"no sweep {id}");
            foreach (var part in kind == "both" ? ["runs", "epochs"] : new[] { kind })
            {
                var csv = part == "runs" ? await RunsCsvAsync(db, id, ct) : await EpochsCsvAsync(db, id, ct);
                if (folder is null)
                {
                    Console.Out.Write(csv);
                    continue;
                }
                folder.Create();
                var path = Path.Combine(folder.FullName, $"sweep-{id}-{part}.csv");
                await File.WriteAllTextAsync(path, csv, ct);
                Console.Error.WriteLine($"wrote {path}");
            }
            return 0;
        }));
        return command;
    }

    public static async Task<string> RunsCsvAsync(Shared.Schema.RnnSweepDbContext db, long sweepId, CancellationToken ct)
    {
        var runs = await db.Runs.AsNoTracking().Where(r => r.SweepId == sweepId).OrderBy(r => r.Id).ToListAsync(ct);
        var csv = new StringBuilder("run_id,sweep_id,model,layers,size,hidden,status,epochs_done,best_epoch,parameter_count,train_loss,val_loss,test_loss,stop_reason,error,started_at,finished_at\n");
        foreach (var r in runs)
        {
            Row(csv, r.Id, r.SweepId, r.Model, r.Layers, r.Size, r.Hidden, r.Status, r.EpochsDone, r.BestEpoch, r.ParameterCount,
                r.TrainLoss, r.ValLoss, r.TestLoss, r.StopReason, r.Error, r.StartedAt, r.FinishedAt);
        }
        return csv.ToString();
    }

    public static async Task<string> EpochsCsvAsync(Shared.Schema.RnnSweepDbContext db, long sweepId, CancellationToken ct)
    {
        var rows = await db.EpochMetrics.AsNoTracking().Join(db.Runs.Where(r => r.SweepId == sweepId), m => m.RunId, r => r.Id, (m, r) => new { m, r.Model, r.Layers, r.Hidden })
            .OrderBy(x => x.m.RunId).ThenBy(x => x.m.Epoch).ToListAsync(ct);
        var csv = new StringBuilder("run_id,model,layers,hidden,epoch,train_loss,val_loss,val_accuracy,learning_rate,grad_norm,chars_per_second,seconds\n");
        foreach (var x in rows)
        {
            Row(csv, x.m.RunId, x.Model, x.Layers, x.Hidden, x.m.Epoch, x.m.TrainLoss, x.m.ValLoss, x.m.ValAccuracy, x.m.LearningRate, x.m.GradNorm, x.m.CharsPerSecond, x.m.Seconds);
        }
        return csv.ToString();
    }

    private static void Row(StringBuilder csv, params object?[] values)
    {
        csv.AppendJoin(',', values.Select(Field)).Append('\n');
    }

    /// <summary>RFC 4180: invariant numbers (round-trip precision), ISO times, quotes around text with separators.</summary>
    private static string Field(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ when value.ToString() is { } s && s.IndexOfAny([',', '"', '\n', '\r']) >= 0 => "\"" + s.Replace("\"", "\"\"") + "\"",
        _ => value.ToString() ?? "",
    };
}
