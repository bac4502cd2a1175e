using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Hosting;
using RnnSweep.Worker.Stores;
using Serilog.Context;

namespace RnnSweep.Worker.Jobs;

/// <summary>
/// The paper's analyses of a run's best checkpoint, on its validation split: gate saturation, cell activations over
/// an excerpt, the units that track text features, and samples. Enqueued by the training job when a run ends with losses.
/// </summary>
public sealed class AnalyzeRunJob(RunStore runs, AnalysisStore analyses, WorkerOptions options, TorchDevice device, ILogger<AnalyzeRunJob> log) : IAnalyzeRunJob
{
    /// <summary>Saturation is measured on at most this many validation characters (50 streams).</summary>
    public const long SaturationCharacters = 100_000;
    public const int Streams = 50;
    public const int ExcerptCharacters = 2_000;
    /// <summary>Validation characters the interpretable units are measured on (all of it when shorter).</summary>
    public const long InterpretableCharacters = 100_000;
    /// <summary>Random initialisations read for the untrained null (the run's own first).</summary>
    public const int InitialNetworks = 3;
    public const int SampleLength = 500;
    public const int PrimeCharacters = 40;

    public async Task AnalyzeAsync(long runId, CancellationToken cancellationToken)
    {
        using var _ = LogContext.PushProperty("RunId", runId);
        var run = await DbRetry.RunAsync(() => runs.FindAsync(runId, cancellationToken), log, cancellationToken);
        var best = run is null ? null : await DbRetry.RunAsync(() => runs.LoadCheckpointAsync(runId, CheckpointKind.Best, cancellationToken), log, cancellationToken);
        if (run is null || best is null)
        {
            log.LogInformation("Run {RunId} has no best checkpoint: nothing to analyse", runId);
            return;
        }
        var data = await RunData.LoadAsync(runs, run, options.CacheDir, log, cancellationToken);
        using var torch = await TorchLock.AcquireAsync(cancellationToken);

        var validation = data.Splits.Validation;
        IReadOnlyList<SaturationPoint> saturation;
        CellActivations cells;
        InterpretableCells.Report interpretable;
        using (var extractor = GateExtractor.FromCheckpoint(data.Cell, data.Vocabulary.Size, best, device.Device))
        {
            var streams = (int)Math.Min(Streams, validation.Length / 2);
            saturation = Saturation.Measure(extractor, validation, streams, maxSteps: SaturationCharacters / streams);
            // One stream's piece of validation text at most: in the streams layout the next piece is elsewhere in the corpus.
            cells = CellActivations.Capture(extractor, validation, data.Vocabulary, (int)Math.Min(ExcerptCharacters, validation.Length / validation.Segments));
            // The untrained null: the run's own weights before training (same architecture and seed) and two more
            // random initialisations of it.
            var initial = Enumerable.Range(0, InitialNetworks).Select(i => new GateExtractor(Training.Trainer.CreateInitialModel(
                data.Cell with { Hyperparameters = data.Hyperparameters with { Seed = data.Hyperparameters.Seed + i } }, data.Vocabulary.Size, device.Device))).ToList();
            try
            {
                interpretable = InterpretableCells.Find(extractor, initial, validation, data.Vocabulary,
                    new InterpretableCells.Options { Characters = InterpretableCharacters, Seed = data.Hyperparameters.Seed });
            }
            finally
            {
                foreach (var network in initial)
                {
                    network.Network.Dispose();
                    network.Dispose();
                }
            }
        }

        // Cut from the validation text and fed as symbols: a byte vocabulary's cut may split a character, which is fine
        // for the model; the stored priming text shows such a half as U+FFFD.
        var primeSymbols = Enumerable.Range(0, (int)Math.Min(PrimeCharacters, validation.Length)).Select(i => validation[i]).ToArray();
        var prime = data.Vocabulary.Decode(primeSymbols);
        var samples = new List<AnalysisStore.NewSample>();
        using (var model = TrainedModel.Load(data.Cell, data.Vocabulary.Size, best, device.Device))
        {
            foreach (var (method, temperature) in new[] { (SamplingMethod.Greedy, 1.0), (SamplingMethod.Multinomial, 1.0), (SamplingMethod.Multinomial, 0.5) })
            {
                var sampling = new SamplingOptions { Method = method, Temperature = temperature, PrimeText = prime, PrimeSymbols = primeSymbols, Length = SampleLength, Seed = data.Hyperparameters.Seed };
                samples.Add(new AnalysisStore.NewSample(SamplingOptions.MethodName(method), temperature, sampling.TopK, prime, sampling.Seed, SampleLength,
                    Sampler.Sample(model, data.Vocabulary, sampling)));
            }
        }

        // Section 4.2: the best checkpoint's probability of every test symbol, beside the sweep's n-gram's (SQL views).
        var testPredictions = Training.Evaluator.CorrectProbabilities(data.Cell, data.Vocabulary.Size, best, data.Splits.Test, device.Device);

        if (!await DbRetry.RunAsync(() => analyses.SaveRunAnalysesAsync(runId, saturation, cells, interpretable, samples, testPredictions, cancellationToken), log, cancellationToken))
        {
            log.LogInformation("Run {RunId} was resumed or cancelled meanwhile: its analyses were not stored", runId);
            return;
        }
        // A vanilla RNN has no gates: "0 saturation points" would read as an analysis that found nothing.
        var gates = data.Cell.Model == ModelType.Rnn ? "no gates (vanilla RNN)" : $"{saturation.Count} saturation points";
        log.LogInformation("Run {RunId} analysed: {Saturation}, {Steps} x {Layers} cell activations, {Units} interpretable units over {Characters} characters, {Samples} samples",
            runId, gates, cells.Steps, cells.Layers, interpretable.Units.Count, interpretable.Characters, samples.Count);
    }
}
