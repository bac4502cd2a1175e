using System.CommandLine;
using RnnSweep.Orchestrator.Api;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Schema;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace RnnSweep.Orchestrator.Cli;

/// <summary><c>rnnsweep status</c>: every sweep with a progress bar and its runs by status; <c>--watch</c> keeps it live.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var sweepId = new Argument<long?>("sweep-id") { Description = "Show only this sweep, with its running cells", Arity = ArgumentArity.ZeroOrOne };
        var watch = new Option<bool>("--watch") { Description = "Redraw every 2 seconds until Ctrl+C" };
        var command = new Command("status", """
            List sweeps with a progress bar and their runs by status (queued, running, succeeded, failed, diverged, cancelled).
            Examples:
              rnnsweep status            every sweep
              rnnsweep status 3 --watch  sweep 3 and its running cells, redrawn every 2 s
            """) { sweepId, watch };
        command.SetAction(async (parse, ct) =>
        {
            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
            var console = Terminal.Create();
            var id = parse.GetValue(sweepId);
            if (!parse.GetValue(watch))
            {
                console.Write(await RenderAsync(connection.ConnectionString, id, ct));
                return 0;
            }
            await console.Live(new Text("")).StartAsync(async live =>
            {
                while (!ct.IsCancellationRequested)
                {
                    live.UpdateTarget(await RenderAsync(connection.ConnectionString, id, ct));
                    try { await Task.Delay(TimeSpan.FromSeconds(2), ct); } catch (OperationCanceledException) { break; }
                }
            });
            return 0;
        });
        return command;
    }

    public static async Task<IRenderable> RenderAsync(string connectionString, long? sweepId, CancellationToken ct)
    {
        // The columns read are built-in types: skip Npgsql's load of the database's type catalogue on connecting.
        var source = new Npgsql.NpgsqlDataSourceBuilder(connectionString);
        source.ConfigureTypeLoading(types => types.EnableTypeLoading(false));
        await using var dataSource = source.Build();
        await using var db = await dataSource.OpenConnectionAsync(ct);
        var sweeps = await StatusQuery.SummariesAsync(db, sweepId, ct);
        // An unknown sweep is an error (exit 2), as for 'table' and 'export'; while watching, one deleted meanwhile ends the watch.
        if (sweepId is not null && sweeps.Count == 0) throw new ValidationException("sweep-id", $"no sweep {sweepId}");
        if (sweeps.Count == 0) return new Markup("No sweeps yet: try [bold]rnnsweep submit --preset quick[/]\n");
        var view = new Table().AddColumns("id", "sweep", "corpus", "progress", "done");
        foreach (var status in RunStatus.All) view.AddColumn(new TableColumn(status).RightAligned());
        view.AddColumn(new TableColumn("time left").RightAligned());
        SweepEstimate? estimate = null;
        foreach (var s in sweeps)
        {
            var total = s.Runs.Values.Sum();
            var done = s.Runs.Where(kv => RunStatus.IsFinal(kv.Key)).Sum(kv => kv.Value);
            estimate = await SweepEstimate.LoadAsync(db, s.Id, ct);
            var left = estimate switch { { Basis: "finished" } => "-", { SecondsLeft: { } sec } => SweepEstimate.Duration(sec), _ => "?" };
            view.AddRow([new Text(s.Id.ToString()), new Text(s.Name), new Text(s.Corpus), Bar(s.Runs, total), new Text($"{done}/{total}"),
                .. RunStatus.All.Select(st => new Text(s.Runs[st].ToString())), new Text(left)]);
        }
        if (sweepId is null) return view;
        var running = await StatusQuery.RunningAsync(db, sweepId.Value, ct);
        var now = DateTimeOffset.UtcNow;
        // A lapsed lease is said so: the run is still running in the table, but no Worker is training it until one takes it over.
        var rows = new Rows([view, new Text($"  {estimate?.Text}"), .. running.Select(r => new Text(
            $"  run {r.Id} {r.Model} {r.Layers}x{r.Hidden}: {r.EpochsDone} {(r.EpochsDone == 1 ? "epoch" : "epochs")} done, {LeaseState.Of(r.Status, r.LeaseOwner, r.LeaseExpiresAt, now)?.Text}"))]);
        return rows;
    }

    /// <summary>A bar of 30 characters: succeeded, failed or diverged, cancelled, running; the rest queued.</summary>
    private static IRenderable Bar(IReadOnlyDictionary<string, int> runs, int total)
    {
        const int width = 30;
        if (total == 0) return new Text("");
        var segments = new (string Status, char Glyph, string Colour)[]
        {
            (RunStatus.Succeeded, '█', "green"), (RunStatus.Failed, '█', "red"), (RunStatus.Diverged, '█', "red"),
            (RunStatus.Cancelled, '▒', "grey"), (RunStatus.Running, '▓', "yellow"),
        };
        var markup = "";
        var used = 0;
        foreach (var (status, glyph, colour) in segments)
        {
            var n = (int)Math.Round((double)runs[status] * width / total);
            n = Math.Min(n, width - used);
            if (n > 0) markup += $"[{colour}]{new string(glyph, n)}[/]";
            used += n;
        }
        return new Markup(markup + $"[grey]{new string('░', width - used)}[/]");
    }
}
