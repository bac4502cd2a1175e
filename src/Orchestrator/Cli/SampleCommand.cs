using System.CommandLine;
using Hangfire;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Api;
using RnnSweep.Orchestrator.LocalCluster;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Cli;

/// <summary>
/// <c>rnnsweep sample</c>: text from a run's best checkpoint. The same path as <c>POST /api/runs/{id}/samples</c>:
/// a <c>samples</c> row, an <see cref="ISampleJob"/> on the sweep's queue (a Worker has TorchSharp, the Orchestrator
/// does not), then waiting for the Worker to fill the row in.
/// </summary>
public static class SampleCommand
{
    /// <summary>The longest --wait: a day (the API's ?wait= stops at 300 s; a terminal may wait for a busy Worker longer).</summary>
    private const int MaxWaitSeconds = 86_400;

    /// <summary>A request field's error named as this command's flag (topK is --top-k, primeText is --prime); other fields (run-id) as they are.</summary>
    private static FieldError AsFlag(FieldError error) => error with
    {
        Field = error.Field switch
        {
            "topK" => "--top-k",
            "primeText" => "--prime",
            "method" or "temperature" or "seed" or "length" or "count" => "--" + error.Field,
            _ => error.Field,
        },
    };

    public static Command Create()
    {
        var runId = new Argument<long>("run-id") { Description = "The run (grid cell) to sample from; see the dashboard or 'rnnsweep export'" };
        var method = new Option<string>("--method") { Description = "greedy (argmax), multinomial (temperature) or topk", DefaultValueFactory = _ => SampleSettings.Default.Method };
        var temperature = new Option<double>("--temperature") { Description = "Lower is more conservative", DefaultValueFactory = _ => SampleSettings.Default.Temperature };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k likeliest characters (--method topk, which --top-k alone implies)", DefaultValueFactory = _ => SampleSettings.Default.TopK };
        var prime = new Option<string>("--prime") { Description = "Priming text the model continues", DefaultValueFactory = _ => SampleSettings.Default.PrimeText };
        var seed = new Option<long>("--seed") { Description = $"Random seed, 0 to {SampleSettings.MaxSeed} (same seed, same text)", DefaultValueFactory = _ => SampleSettings.Default.Seed };
        var length = new Option<int>("--length") { Description = "Characters to generate", DefaultValueFactory = _ => SampleSettings.Default.Length };
        var wait = new Option<int>("--wait") { Description = "Seconds to wait for a Worker", DefaultValueFactory = _ => 120 };
        var count = new Option<int>("--count")
        {
            Description = $"Texts to draw in one pass, 1 to {SampleSettings.MaxCount} (text i uses seed --seed + i)", DefaultValueFactory = _ => SampleSettings.Default.Count,
        };
        var command = new Command("sample", """
            Generate text from a run's best checkpoint (a Worker listening on the sweep's queue does the work).
            Examples:
              rnnsweep sample 17
              rnnsweep sample 17 --method greedy --prime "The " --length 200
              rnnsweep sample 17 --temperature 0.5 --seed 7
              rnnsweep sample 17 --count 16 --length 100   16 texts in one pass over the weights
            """) { runId, method, temperature, topK, prime, seed, length, count, wait };
        command.SetAction((parse, ct) => CliOptions.Guard(async () =>
        {
            // --top-k alone means top-k sampling; with another --method it would be ignored, so it is refused.
            var topKGiven = parse.GetResult(topK) is { Implicit: false };
            var methodName = topKGiven && parse.GetResult(method) is null or { Implicit: true } ? SamplingMethods.TopK : parse.GetValue(method)!;
            var request = new SampleSettings
            {
                Method = methodName, Temperature = parse.GetValue(temperature), TopK = parse.GetValue(topK),
                PrimeText = parse.GetValue(prime)!, Seed = parse.GetValue(seed), Length = parse.GetValue(length), Count = parse.GetValue(count),
            };
            var errors = request.Validate().Select(AsFlag).ToList();
            if (topKGiven && methodName != SamplingMethods.TopK) errors.Add(new("--top-k", $"applies to --method {SamplingMethods.TopK} only, not {methodName}"));
            if (parse.GetValue(wait) is < 0 or > MaxWaitSeconds) errors.Add(new("--wait", $"must be 0 to {MaxWaitSeconds} seconds, not {parse.GetValue(wait)}"));
            if (errors.Count > 0) throw new ValidationException(errors);
            await using var connection = await Connection.OpenAsync(keepLocalServerRunning: false, ct);
            await using var app = Hosting.OrchestratorApp.Build([], connection.ConnectionString);
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RnnSweepDbContext>();
            long sampleId;
            try
            {
                sampleId = await SampleRequests.RequestAsync(db, scope.ServiceProvider.GetRequiredService<IBackgroundJobClient>(), parse.GetValue(runId), request, "run-id", ct);
            }
            catch (ValidationException e)
            {
                throw new ValidationException(e.Errors.Select(AsFlag).ToList());
            }
            Console.Error.WriteLine($"sample {sampleId} enqueued; waiting for a Worker...");
            var queue = await db.Runs.Where(r => r.Id == parse.GetValue(runId)).Select(r => r.Sweep!.Queue).SingleAsync(ct);
            LocalServer.WarnWithoutWorkers(app, queue, $"the sample waits for one (this command for at most {parse.GetValue(wait)} s, --wait).");
            var sample = await SampleRequests.WaitAsync(db, sampleId, TimeSpan.FromSeconds(parse.GetValue(wait)), ct);
            if (sample is null)
            {
                Console.Error.WriteLine($"no Worker answered in {parse.GetValue(wait)} s; the sample will appear at /api/samples/{sampleId} when one does");
                return 1;
            }
            if (sample.Error is not null)
            {
                Console.Error.WriteLine($"error: {sample.Error}");
                return 1;
            }
            var texts = sample.Texts ?? [sample.Text!];
            if (texts.Length == 1)
            {
                Console.WriteLine(sample.PrimeText + texts[0]);
                return 0;
            }
            // Several texts: each under a line that says which it is and its seed, to draw it again alone.
            for (var i = 0; i < texts.Length; i++)
            {
                Console.WriteLine($"--- text {i + 1} of {texts.Length} (seed {sample.Seed + i}) ---");
                Console.WriteLine(sample.PrimeText + texts[i]);
            }
            return 0;
        }));
        return command;
    }
}
