using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Hosting;
using RnnSweep.Worker.Stores;

namespace RnnSweep.Worker.Jobs;

/// <summary>
/// Generates a requested sample from its run's best checkpoint, one step per character with the state carried; a
/// request for several texts draws them in one pass (<see cref="Sampler.SampleMany"/>).
/// </summary>
public sealed class SampleJob(RunStore runs, AnalysisStore analyses, WorkerOptions options, TorchDevice device, ILogger<SampleJob> log) : ISampleJob
{
    public async Task SampleAsync(long sampleId, CancellationToken cancellationToken)
    {
        var request = await DbRetry.RunAsync(() => analyses.FindSampleAsync(sampleId, cancellationToken), log, cancellationToken);
        if (request is null || request.Text is not null) return; // gone, or made already
        try
        {
            var run = await DbRetry.RunAsync(() => runs.FindAsync(request.RunId, cancellationToken), log, cancellationToken)
                      ?? throw new InvalidOperationException($"run {request.RunId} is gone");
            var best = await DbRetry.RunAsync(() => runs.LoadCheckpointAsync(run.Id, CheckpointKind.Best, cancellationToken), log, cancellationToken)
                       ?? throw new InvalidOperationException($"run {run.Id} has no best checkpoint yet");
            var data = await RunData.LoadAsync(runs, run, options.CacheDir, log, cancellationToken, $"sample {sampleId} of run {run.Id}");
            var unknown = data.Vocabulary.SymbolsOf(request.PrimeText).Where(s => !data.Vocabulary.Contains(s)).Distinct().ToList();
            if (unknown.Count > 0)
            {
                throw new InvalidOperationException($"the priming text has characters the model never saw: {string.Join(" ", unknown.Select(u => $"U+{u:X4}"))}");
            }
            using var torch = await TorchLock.AcquireAsync(cancellationToken);
            using var model = TrainedModel.Load(data.Cell, data.Vocabulary.Size, best, device.Device);
            var texts = Sampler.SampleMany(model, data.Vocabulary, SamplingOptions.From(new SampleSettings
            {
                Method = request.Method, Temperature = request.Temperature, TopK = request.TopK,
                PrimeText = request.PrimeText, Seed = request.Seed, Length = request.Length,
            }), request.Count);
            await DbRetry.RunAsync(async () => { await analyses.FinishSampleAsync(sampleId, texts, null, cancellationToken); return 0; }, log, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            await DbRetry.RunAsync(async () => { await analyses.FinishSampleAsync(sampleId, null, e.Message, cancellationToken); return 0; }, log, cancellationToken);
        }
    }
}
