using System.CommandLine;
using RnnSweep.Orchestrator.Hosting;
using RnnSweep.Orchestrator.LocalCluster;

namespace RnnSweep.Orchestrator.Cli;

/// <summary><c>rnnsweep serve</c>: the Orchestrator as a long-running service (API, dashboards), applying migrations at start.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => OrchestratorApp.DefaultUrl };
        var command = new Command("serve", "Serve the HTTP API, the results dashboard and the Hangfire dashboard") { urls };
        command.SetAction(async (parse, ct) =>
        {
            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
            await using var app = OrchestratorApp.Build([], connection.ConnectionString, parse.GetValue(urls));
            await app.MigrateAsync(ct);
            await app.StartAsync(ct);
            Console.WriteLine($"Serving {LocalServer.Address(app)}; press Ctrl+C to stop.");
            try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
            await LocalServer.StopAsync(app);
            return 0; // Ctrl+C and SIGTERM are how a service ends
        });
        return command;
    }
}
