using System.CommandLine;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Cli;

/// <summary><c>rnnsweep submit</c>: store and enqueue a sweep from a spec file or a preset; Workers train it.</summary>
public static class SubmitCommand
{
    public static Command Create()
    {
        var specFile = CliOptions.SpecFile();
        var preset = CliOptions.Preset();
        var name = new Option<string?>("--name") { Description = "Sweep name (default: PRESET-CORPUS)" };
        var corpus = CliOptions.Corpus();
        var dataDir = CliOptions.DataDir();
        var models = CliOptions.Models();
        var layers = CliOptions.Layers();
        var hiddenSizes = CliOptions.HiddenSizes();
        var seeds = CliOptions.Seeds();
        var axes = CliOptions.Axes();
        var maxEpochs = CliOptions.MaxEpochs();
        var key = new Option<string?>("--idempotency-key") { Description = "Submitting again with the same key returns the same sweep" };
        var command = new Command("submit", "Submit a sweep (a spec file, a preset, or both); Workers connected to the database train it. Example: rnnsweep submit --preset quick --corpus tinyshakespeare --hidden-sizes 64,128")
        {
            specFile, preset, name, corpus, dataDir, models, layers, hiddenSizes, seeds, axes, maxEpochs, key,
        };
        var recipe = new CorpusRecipeOptions();
        recipe.AddTo(command);
        command.SetAction((parse, ct) => CliOptions.Guard(async () =>
        {
            CliOptions.ApplyDataDir(parse.GetValue(dataDir));
            var spec = recipe.Apply(parse, CliOptions.ReadSpec(parse, specFile, preset, name, models, layers, hiddenSizes, corpus, seeds, axes, maxEpochs));
            try
            {
                SpecResolver.Resolve(spec); // bad input is reported before a database is started or reached
            }
            catch (ValidationException e) when (spec.Preset is null && parse.GetValue(specFile) is null && e.Errors.Any(f => f.Message.StartsWith("is required", StringComparison.Ordinal)))
            {
                // Without a preset every field is the user's to give: say where the usual values come from.
                throw new ValidationException([.. e.Errors, new FieldError("--preset", $"none given: a preset fills in the missing fields ({string.Join(", ", Presets.Names)}), e.g. 'rnnsweep submit --preset quick'")]);
            }
            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
            await using var app = Hosting.OrchestratorApp.Build([], connection.ConnectionString);
            await Hosting.OrchestratorApp.MigrateAsync(app, ct);
            await LocalServer.SubmitAsync(app, spec, ct, parse.GetValue(key), warnWithoutWorkers: true);
            return 0;
        }));
        return command;
    }
}
