using System.CommandLine;
using RnnSweep.Orchestrator;
using RnnSweep.Orchestrator.Hosting;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Sweeps;

namespace RnnSweep.Orchestrator.Cli;

/// <summary>
/// <c>rnnsweep sweep</c>: the whole product on one machine. Starts the database (if none is configured),
/// the Orchestrator and local Workers, submits the grid, waits for it, prints the loss table and serves the dashboard.
/// </summary>
public static class SweepCommand
{
    public static Command Create()
    {
        var preset = CliOptions.Preset(Presets.Quick);
        var corpus = CliOptions.Corpus();
        var dataDir = CliOptions.DataDir();
        var name = new Option<string?>("--name") { Description = "Sweep name (default: PRESET-CORPUS)" };
        var specFile = CliOptions.SpecFile();
        var models = CliOptions.Models();
        var layers = CliOptions.Layers();
        var hiddenSizes = CliOptions.HiddenSizes();
        var seeds = CliOptions.Seeds();
        var axes = CliOptions.Axes();
        var maxEpochs = CliOptions.MaxEpochs();
        var workers = new Option<int>("--workers") { Description = "Worker processes to start on this machine", DefaultValueFactory = _ => 2 };
        var threads = new Option<int?>("--threads") { Description = "Torch threads per worker (default: cores / workers)" };
        var urls = new Option<string>("--urls") { Description = "Where the dashboard listens", DefaultValueFactory = _ => OrchestratorApp.DefaultUrl };
        var exit = new Option<bool>("--exit") { Description = "Exit after printing the table instead of serving the dashboard until Ctrl+C" };

        var command = new Command("sweep", "Run a grid sweep end to end on this machine and print its loss table. Example: rnnsweep sweep --preset paper --corpus warandpeace --max-epochs 10")
        {
            preset, corpus, dataDir, name, specFile, models, layers, hiddenSizes, seeds, axes, maxEpochs, workers, threads, urls, exit,
        };
        var recipe = new CorpusRecipeOptions();
        recipe.AddTo(command);
        command.SetAction((parse, ct) => CliOptions.Guard(async () =>
        {
            var workerCount = parse.GetValue(workers);
            if (workerCount is < 1 or > 64) throw new Shared.Domain.ValidationException("--workers", $"must be between 1 and 64, not {workerCount}");
            var threadCount = parse.GetValue(threads) ?? Math.Max(1, Environment.ProcessorCount / workerCount);
            if (threadCount is < 1 or > 256) throw new Shared.Domain.ValidationException("--threads", $"must be between 1 and 256, not {threadCount}");
            CliOptions.ApplyDataDir(parse.GetValue(dataDir));
            var spec = recipe.Apply(parse, CliOptions.ReadSpec(parse, specFile, preset, name, models, layers, hiddenSizes, corpus, seeds, axes, maxEpochs));
            SpecResolver.Resolve(spec); // bad input is reported before anything starts
            WorkerAllocator.Validate();
            Shared.Diagnostics.LstmKernelChoice.FromEnvironment(); // the Workers it starts inherit it
            LocalServer.CheckUrls(parse.GetValue(urls)!, moveFromDefault: true);

            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
            await using var app = await LocalServer.StartAsync(connection.ConnectionString, parse.GetValue(urls)!, ct);
            try
            {
                await using var processes = new WorkerProcesses();
                processes.Start(workerCount, connection.ConnectionString, SpecResolver.Resolve(spec).Queue, threadCount);

                var sweepId = await LocalServer.SubmitAsync(app, spec, ct);
                var url = LocalServer.Address(app);
                // Where to watch it while it trains, not only once it has finished.
                Console.WriteLine($"Watch it at {url}/sweeps/{sweepId}, its jobs at {url}/hangfire, its tables with psql {connection.PsqlTarget}");
                try
                {
                    await ProgressWatcher.WaitAsync(app, sweepId, ct, () => processes.AnyAlive);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    await processes.DisposeAsync(); // each Worker releases its run, so the next 'rnnsweep sweep' resumes it
                    Console.Error.WriteLine($"Sweep {sweepId} interrupted: its unfinished runs continue from their checkpoints when you run the same command again.");
                    return CliRoot.Interrupted;
                }
                var serving = !parse.GetValue(exit);
                // Serving: one Worker stays for samples (the run page's form, 'rnnsweep sample'); the rest free their cores.
                await processes.StopAsync(keep: serving ? 1 : 0);

                var (table, ngram) = await LocalServer.LossTableAsync(app, sweepId, ct);
                TableView.Print(table, ngram: ngram);
                Console.WriteLine();
                // With --exit nothing serves these addresses once this command ends: say what serves them.
                var later = serving ? "" : " (after this command: 'rnnsweep serve')";
                Console.WriteLine($"Dashboard: {url}/sweeps/{sweepId}{later}");
                Console.WriteLine($"Jobs:      {url}/hangfire{later}");
                // A cancel is the operator's word: submitting the same sweep again does not undo it, 'resume' does.
                if (table.Rows.SelectMany(r => r.Cells).Count(c => c?.Status == Shared.Domain.RunStatus.Cancelled) is > 0 and var cancelled)
                {
                    Console.WriteLine($"{cancelled} cell{(cancelled == 1 ? " was" : "s were")} cancelled: 'rnnsweep resume {sweepId}' continues {(cancelled == 1 ? "it" : "them")} from the latest checkpoint (from the start where there is none).");
                }
                var result = table.Rows.SelectMany(r => r.Cells).All(c => c?.Status == Shared.Domain.RunStatus.Succeeded) ? 0 : 1;
                if (!serving) return result;
                Console.WriteLine($"SQL:       psql {connection.PsqlTarget}");
                Console.WriteLine("One local Worker keeps running for samples (the run page's form, or 'rnnsweep sample RUN' in another terminal).");
                Console.WriteLine("Serving the dashboard; press Ctrl+C to stop.");
                try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
                // Stopping a finished sweep's dashboard is the normal end: the exit code is still the sweep's.
                return result;
            }
            finally
            {
                await LocalServer.StopAsync(app);
            }
        }));
        return command;
    }
}
