using System.CommandLine;
using System.Text.Json;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Cli;

/// <summary><c>rnnsweep submit</c>: store and enqueue a sweep from a spec file or a preset; Workers train it.</summary>
public static class SubmitCommand
{
    public static Command Create()
    {
        var specFile = new Option<FileInfo?>("--spec") { Description = "A JSON sweep spec (the body of POST /api/sweeps)" };
        var preset = CliOptions.Preset();
        var corpus = CliOptions.Corpus();
        var dataDir = CliOptions.DataDir();
        var key = new Option<string?>("--idempotency-key") { Description = "Submitting again with the same key returns the same sweep" };
        var command = new Command("submit", "Submit a sweep (a spec file, a preset, or both: the file's fields win)") { specFile, preset, corpus, dataDir, key };
        command.SetAction((parse, ct) => CliOptions.Guard(async () =>
        {
            CliOptions.ApplyDataDir(parse.GetValue(dataDir));
            var spec = new SweepSpec();
            if (parse.GetValue(specFile) is { } file)
            {
                if (!file.Exists) throw new ValidationException("--spec", $"file not found: {file.FullName}");
                try
                {
                    spec = JsonSerializer.Deserialize<SweepSpec>(await File.ReadAllTextAsync(file.FullName, ct), SpecResolver.Json) ?? spec;
                }
                catch (JsonException e)
                {
                    throw new ValidationException("--spec", $"{file.Name} is not a valid spec: {e.Message}");
                }
            }
            spec = CliOptions.WithCorpus(spec with { Preset = spec.Preset ?? parse.GetValue(preset) }, parse.GetValue(corpus));
            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: true, ct);
            await using var app = Hosting.OrchestratorApp.Build([], connection.ConnectionString);
            await Hosting.OrchestratorApp.MigrateAsync(app, ct);
            await using var scope = app.Services.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<SweepSubmitter>().SubmitAsync(spec, parse.GetValue(key), ct);
            Console.WriteLine(result.Created
                ? $"Sweep {result.Sweep.Id} '{result.Sweep.Name}' submitted: {result.Sweep.Runs.Count} runs enqueued"
                : $"Sweep {result.Sweep.Id} '{result.Sweep.Name}' already exists");
            return 0;
        }));
        return command;
    }
}
