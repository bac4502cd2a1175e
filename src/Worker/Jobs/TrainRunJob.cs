using System.Text.Json;
using Hangfire;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;
using RnnSweep.Worker.Hosting;
using RnnSweep.Worker.Training;
using Serilog.Context;

namespace RnnSweep.Worker.Jobs;

/// <summary>
/// Trains one grid cell under its lease, committing every epoch, then evaluates the best checkpoint.
/// Running it twice, or after a crash, resumes from the latest checkpoint; a second copy running at the
/// same time finds the lease taken and returns without writing.
/// </summary>
public sealed class TrainRunJob(RunStore store, WorkerOptions options, TorchDevice device, IBackgroundJobClient jobs, ILogger<TrainRunJob> log) : ITrainRunJob
{

    public async Task TrainAsync(long runId, CancellationToken cancellationToken)
    {
        using var _ = LogContext.PushProperty("RunId", runId);
        var run = await DbRetry.RunAsync(() => store.FindAsync(runId, cancellationToken), log, cancellationToken);
        if (run is null || RunStatus.IsFinal(run.Status))
        {
            log.LogInformation("Run {RunId} is {Status}: nothing to do", runId, run?.Status ?? "gone");
            return;
        }

        // A fresh owner per execution: two copies of one job, even in one process, never share a lease.
        var owner = $"{options.Name}/{Guid.NewGuid():N}"[..Math.Min(options.Name.Length + 9, 200)];
        var attempt = await DbRetry.RunAsync(() => store.TryAcquireLeaseAsync(runId, owner, options.LeaseDuration, cancellationToken), log, cancellationToken);
        if (attempt is null)
        {
            log.LogInformation("Run {RunId} ({Cell}) is held by another worker; this copy gives up without writing", runId, Cell(run));
            return;
        }

        using var torch = await TorchLock.AcquireAsync(cancellationToken);
        await using var lease = new LeaseKeeper(store, runId, owner, options.LeaseDuration, log);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Lost);
        try
        {
            log.LogInformation("Run {RunId} ({Cell} of sweep {Sweep}) attempt {Attempt} on {Device}", runId, Cell(run), run.Sweep, attempt, device);
            var outcome = await TrainAndEvaluateAsync(run, owner, stop.Token);
            if (!await DbRetry.RunAsync(() => store.FinishAsync(runId, owner, outcome, CancellationToken.None), log, CancellationToken.None))
            {
                log.LogWarning("Run {RunId} finished but its lease was gone: the result was not written", runId);
                return;
            }
            log.LogInformation("Run {RunId} {Status}: train {Train:0.0000} val {Val:0.0000} test {Test:0.0000} nats/char ({Reason})",
                runId, outcome.Status, outcome.TrainLoss, outcome.ValLoss, outcome.TestLoss, outcome.StopReason ?? outcome.Error);
            if (outcome.TestLoss is not null)
            {
                jobs.Enqueue<IAnalyzeRunJob>(run.Queue, job => job.AnalyzeAsync(runId, CancellationToken.None));
            }
        }
        catch (Exception e) when (e is LeaseLostException || (e is OperationCanceledException && lease.Lost.IsCancellationRequested))
        {
            log.LogWarning("Run {RunId} stopped: lease lost, nothing more written", runId);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown (SIGTERM) or the job was deleted: give the run back so another worker resumes it from
            // its latest checkpoint at once, instead of waiting for the lease to expire. Rethrown so Hangfire requeues.
            await DbRetry.RunAsync(async () => { await store.ReleaseLeaseAsync(runId, owner, CancellationToken.None); return 0; },
                log, CancellationToken.None, TimeSpan.FromSeconds(10));
            log.LogInformation("Run {RunId} released for another worker (shutdown or cancellation)", runId);
            throw;
        }
        catch (Exception e) when (!DbRetry.IsTransient(e))
        {
            // A deterministic failure: trying again would fail again, so record it on the run and end the job.
            log.LogError(e, "Run {RunId} failed", runId);
            var error = e is ValidationException v ? string.Join("; ", v.Errors) : $"{e.GetType().Name}: {e.Message}";
            await DbRetry.RunAsync(() => store.FinishAsync(runId, owner, new RunStore.Outcome(RunStatus.Failed, null, null, null, null, error), CancellationToken.None),
                log, CancellationToken.None);
        }
    }

    private async Task<RunStore.Outcome> TrainAndEvaluateAsync(RunStore.RunInfo run, string owner, CancellationToken ct)
    {
        var data = await RunData.LoadAsync(store, run, options.CacheDir, log, ct);
        var (hp, splits) = (data.Hyperparameters, data.Splits);
        var retries = run.DivergenceRetries;
        while (true)
        {
            var cell = data.Cell with { Hyperparameters = hp };
            var latest = await DbRetry.RunAsync(() => store.LoadCheckpointAsync(run.Id, "latest", ct), log, ct);
            using var trainer = new Trainer(cell, splits, device.Device, latest);
            if (latest is not null) log.LogInformation("Resuming run {RunId} after epoch {Epoch} from its latest checkpoint", run.Id, latest.Epoch);
            while (trainer.Stop == TrainingStop.None)
            {
                var report = trainer.RunEpoch(ct);
                if (trainer.Stop == TrainingStop.Diverged) break; // a diverged epoch is not kept
                var checkpoint = trainer.SaveCheckpoint();
                var maxEpochs = await DbRetry.RunAsync(() => store.CommitEpochAsync(run.Id, owner, trainer.ParameterCount, report, checkpoint, report.IsBest, trainer.BestEpoch, ct), log, ct)
                                ?? throw new LeaseLostException(run.Id);
                if (maxEpochs != hp.MaxEpochs)
                {
                    log.LogInformation("Run {RunId}: maxEpochs is now {MaxEpochs}", run.Id, maxEpochs);
                    hp = hp with { MaxEpochs = maxEpochs };
                    trainer.CapEpochs(maxEpochs);
                }
                log.LogInformation("Epoch {Epoch}: train {TrainLoss:0.0000} val {ValLoss:0.0000} lr {LearningRate:g3} {CharsPerSecond:0} chars/s{Best}",
                    report.Epoch, report.TrainLoss, report.ValLoss, report.LearningRate, report.CharsPerSecond, report.IsBest ? " (best)" : "");
            }
            if (trainer.Stop == TrainingStop.Diverged && retries < hp.DivergenceRetries)
            {
                retries++;
                hp = hp with { LearningRate = hp.LearningRate / 2 };
                log.LogWarning("Run {RunId} diverged ({Reason}); restart {Retry} of {Retries} at learning rate {LearningRate:g3}",
                    run.Id, trainer.StopReason, retries, hp.DivergenceRetries, hp.LearningRate);
                var restarted = await DbRetry.RunAsync(() => store.RestartAfterDivergenceAsync(run.Id, owner, retries, JsonSerializer.Serialize(hp, RunData.Json), ct), log, ct);
                if (!restarted) throw new LeaseLostException(run.Id);
                continue;
            }
            if (trainer.Stop == TrainingStop.Diverged && trainer.BestEpoch == 0)
            {
                return new RunStore.Outcome(RunStatus.Diverged, null, null, null, trainer.StopReason, null);
            }
            return await EvaluateAsync(run, cell, splits, trainer.Stop, trainer.StopReason, ct);
        }
    }

    /// <summary>The best checkpoint, as stored, on full train, validation and test passes with dropout off.</summary>
    private async Task<RunStore.Outcome> EvaluateAsync(RunStore.RunInfo run, CellSpec cell, CorpusSplits splits, TrainingStop stop, string? reason, CancellationToken ct)
    {
        var best = await DbRetry.RunAsync(() => store.LoadCheckpointAsync(run.Id, "best", ct), log, ct)
                   ?? throw new InvalidOperationException("training ended without a best checkpoint");
        var (train, val, test) = Evaluator.Losses(cell, splits, best, device.Device);

        if (stop == TrainingStop.Diverged) return new RunStore.Outcome(RunStatus.Diverged, train, val, test, reason, null);
        // why: the seed reproduction left 7 of 36 cells stuck near the unigram loss, reported as done
        // (docs/paper-and-peers.md#the-seed-reproduction). A run that learned nothing beyond character frequencies is a failure.
        var unigram = Baselines.UnigramEntropy(splits.Train, splits.Validation, splits.VocabularySize);
        if (!(val < unigram - 1e-3))
        {
            return new RunStore.Outcome(RunStatus.Failed, train, val, test, reason,
                $"validation loss {val:0.0000} is no better than predicting character frequencies ({unigram:0.0000} nats/char): the model learned nothing");
        }
        return new RunStore.Outcome(RunStatus.Succeeded, train, val, test, reason, null);
    }

    private static string Cell(RunStore.RunInfo run) => $"{run.Model} {run.Layers}x{run.Hidden}";
}
