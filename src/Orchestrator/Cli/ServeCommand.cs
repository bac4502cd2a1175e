using System.CommandLine;
using RnnSweep.Orchestrator.Hosting;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Shared.Database;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Cli;

/// <summary><c>rnnsweep serve</c>: the Orchestrator as a long-running service (API, dashboards), applying migrations at start.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => OrchestratorApp.DefaultUrl };
        var command = new Command("serve", "Serve the HTTP API, the results dashboard and the Hangfire dashboard") { urls };
        command.SetAction((parse, ct) => CliOptions.Guard(async () =>
        {
            var url = parse.GetValue(urls)!;
            // A service is asked for its address: a taken port is an error (one line), not a move to another port.
            LocalServer.CheckUrls(url);
            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
            await using var app = OrchestratorApp.Build([], connection.ConnectionString, url);
            await app.MigrateAsync(ct);
            try
            {
                await app.StartAsync(ct);
            }
            catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                // taken between the check and the start, or by an address the check does not probe
                throw new ValidationException("--urls", $"{url}: {e.Message}");
            }
            Console.WriteLine($"Serving {LocalServer.Address(app)}; press Ctrl+C to stop.");
            // serve trains nothing itself: without this line a sweep submitted here would wait with no hint why.
            Console.WriteLine($"serve starts no Worker: submitted sweeps wait until Workers connect (RnnSweep.Worker with {DatabaseSettings.EnvironmentVariable} " +
                "set to this database, on this machine or others: see the README on running it as a service).");
            try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
            await LocalServer.StopAsync(app);
            return 0; // Ctrl+C and SIGTERM are how a service ends
        }));
        return command;
    }
}
