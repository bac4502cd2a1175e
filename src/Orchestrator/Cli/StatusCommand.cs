using System.CommandLine;
using RnnSweep.Orchestrator.Api;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Domain;
using Spectre.Console;

namespace RnnSweep.Orchestrator.Cli;

/// <summary><c>rnnsweep status</c>: every sweep with its runs by status.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var command = new Command("status", "List sweeps with their runs by status");
        command.SetAction(async (parse, ct) =>
        {
            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: true, ct);
            await using var db = DatabaseSettings.CreateContext(connection.ConnectionString);
            var view = new Table();
            foreach (var h in (string[])["id", "sweep", "corpus", "progress", .. RunStatus.All]) view.AddColumn(h);
            foreach (var s in await SweepApi.Summaries(db, null, ct))
            {
                var total = s.Runs.Values.Sum();
                var done = s.Runs.Where(kv => RunStatus.IsFinal(kv.Key)).Sum(kv => kv.Value);
                view.AddRow([s.Id.ToString(), Markup.Escape(s.Name), Markup.Escape(s.Corpus), $"{done}/{total}", .. RunStatus.All.Select(st => s.Runs[st].ToString())]);
            }
            AnsiConsole.Write(view);
            return 0;
        });
        return command;
    }
}
