using System.CommandLine;
using RnnSweep.Orchestrator.Api;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.Cli;

/// <summary><c>rnnsweep export-model</c>: a run's best checkpoint as a PyTorch state dict and a JSON config (<see cref="ModelExport"/>).</summary>
public static class ExportModelCommand
{
    public static Command Create()
    {
        var runId = new Argument<long>("run-id") { Description = "The run (grid cell) whose best checkpoint to export" };
        var dir = new Option<DirectoryInfo>("--dir") { Description = "Folder to write run-ID.pt and run-ID.json into", Required = true };
        var command = new Command("export-model", """
            Export a run's best checkpoint for PyTorch: run-ID.pt, a state dict in torch.save's format
            (torch.load reads it, PyTorch 1.13 included), and run-ID.json, its config: vocabulary, model type,
            sizes and the torch.nn modules to load it into. See docs/model-export.md for the few lines that load it.
            Also over HTTP: GET /api/runs/ID/model.pt and /api/runs/ID/model.json.
            Examples:
              rnnsweep export-model 17 --dir models
            """) { runId, dir };
        command.SetAction((parse, ct) => CliOptions.Guard(async () =>
        {
            var id = parse.GetValue(runId);
            var folder = parse.GetValue(dir)!;
            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
            await using var db = DatabaseSettings.CreateContext(connection.ConnectionString);
            var export = await ModelExport.CreateAsync(db, id, "run-id", ct);
            folder.Create();
            var pt = Path.Combine(folder.FullName, export.StateDictFileName);
            var json = Path.Combine(folder.FullName, export.ConfigFileName);
            // Whole files or none: each is written beside its name and moved into place.
            await File.WriteAllBytesAsync(pt + ".part", export.StateDict, ct);
            await File.WriteAllTextAsync(json + ".part", export.ConfigJson, ct);
            File.Move(pt + ".part", pt, overwrite: true);
            File.Move(json + ".part", json, overwrite: true);
            Console.WriteLine($"{pt} ({export.StateDict.Length:N0} bytes)");
            Console.WriteLine(json);
            return 0;
        }));
        return command;
    }
}
