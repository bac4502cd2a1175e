using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Hosting;
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
        using (var extractor = GateExtractor.FromCheckpoint(data.Cell, data.Vocabulary.Size, best, device.Device))
        {
            var streams = (int)Math.Min(Streams, validation.Length / 2);
            saturation = Saturation.Measure(extractor, validation, streams, maxSteps: SaturationCharacters / streams);
            // One stream's piece of validation text at most: in the streams layout the next piece is elsewhere in the corpus.
            cells = CellActivations.Capture(extractor, validation, data.Vocabulary, (int)Math.Min(ExcerptCharacters, validation.Length / validation.Segments));
        }
        var interpretable = InterpretableCells.TopUnits(cells, k: 5);

        var prime = data.Vocabulary.Decode(Enumerable.Range(0, (int)Math.Min(PrimeCharacters, validation.Length)).Select(i => validation[i]));
        var samples = new List<AnalysisStore.NewSample>();
        using (var model = TrainedModel.Load(data.Cell, data.Vocabulary.Size, best, device.Device))
        {
            foreach (var (method, temperature) in new[] { (SamplingMethod.Greedy, 1.0), (SamplingMethod.Multinomial, 1.0), (SamplingMethod.Multinomial, 0.5) })
            {
                var sampling = new SamplingOptions { Method = method, Temperature = temperature, PrimeText = prime, Length = SampleLength, Seed = data.Hyperparameters.Seed };
                samples.Add(new AnalysisStore.NewSample(SampleJob.MethodName(method), temperature, sampling.TopK, prime, sampling.Seed, SampleLength,
                    Sampler.Sample(model, data.Vocabulary, sampling)));
            }
        }

        if (!await DbRetry.RunAsync(() => analyses.SaveRunAnalysesAsync(runId, saturation, cells, interpretable, samples, cancellationToken), log, cancellationToken))
        {
            log.LogInformation("Run {RunId} was resumed or cancelled meanwhile: its analyses were not stored", runId);
            return;
        }
        log.LogInformation("Run {RunId} analysed: {Points} saturation points, {Steps} x {Layers} cell activations, {Samples} samples",
            runId, saturation.Count, cells.Steps, cells.Layers, samples.Count);
    }
}
