using Hangfire.Server;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Jobs;
using RnnSweep.Shared.Runs;
using RnnSweep.Worker.Hosting;
using RnnSweep.Worker.Stores;
using RnnSweep.Worker.Training;
using Serilog.Context;

namespace RnnSweep.Worker.Jobs;

/// <summary>
/// Trains one grid cell under its lease, committing every epoch, then evaluates the best checkpoint.
/// Running it twice, or after a crash, resumes from the latest checkpoint; a second copy running at the
/// same time finds the lease taken and returns without writing. Every change of the run goes through
/// <see cref="RunLife"/>; the analyses that follow are dispatched by the Orchestrator from the run's row.
/// </summary>
public sealed class TrainRunJob(RunStore store, WorkerOptions options, TorchDevice device, IHostApplicationLifetime lifetime, ILogger<TrainRunJob> log) : ITrainRunJob
{
    private RunLife Life => store.Life;

    public async Task TrainAsync(long runId, CancellationToken cancellationToken)
    {
        using var _ = LogContext.PushProperty("RunId", runId);
        var run = await store.FindAsync(runId, cancellationToken);
        if (run is null || RunStatus.IsFinal(run.Status))
        {
            log.LogInformation("Run {RunId} is {Status}: nothing to do", runId, run?.Status ?? "gone");
            return;
        }

        // A fresh owner per execution: two copies of one job, even in one process, never share a lease. The job id
        // in it tells a copy that lost the lease whether the holder performs the same Hangfire job.
        var jobId = CurrentJob.JobId ?? "-";
        var owner = $"{options.Name}/{jobId}/{Guid.NewGuid():N}"[..Math.Min(options.Name.Length + jobId.Length + 10, 200)];
        var attempt = await Life.AcquireLeaseAsync(runId, owner, options.LeaseDuration, cancellationToken);
        if (attempt is null)
        {
            log.LogInformation("Run {RunId} ({Cell}) is held by another worker; this copy gives up without writing", runId, Cell(run));
            return;
        }

        // The lease is kept from here on, also while this job waits for the torch lock below: with Worker:Concurrency
        // above 1 another run of this Worker may hold it for a whole run, far longer than a lease.
        await using var lease = new LeaseKeeper(store, runId, owner, options.LeaseDuration, log);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Lost);
        try
        {
            using var torch = await TorchLock.AcquireAsync(stop.Token);
            log.LogInformation("Run {RunId} ({Cell} of sweep {Sweep}) attempt {Attempt} on {Device} (job {JobId})", runId, Cell(run), run.Sweep, attempt, device, jobId);
            var outcome = await TrainAndEvaluateAsync(run, owner, stop.Token);
            if (!await Life.FinishAsync(runId, owner, outcome, CancellationToken.None)) throw new LeaseLostException(runId);
            log.LogInformation("Run {RunId} {Status}: train {Train:0.0000} val {Val:0.0000} test {Test:0.0000} {LossUnit} ({Reason})",
                runId, outcome.Status, outcome.TrainLoss, outcome.ValLoss, outcome.TestLoss, VocabularyKinds.LossUnit(VocabularyKinds.Of(run.Hyperparameters)),
                outcome.StopReason ?? outcome.Error);
        }
        catch (Exception e) when (e is LeaseLostException || (e is OperationCanceledException && lease.Lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested))
        {
            log.LogWarning("Run {RunId} stopped: lease lost (taken over or cancelled), nothing more written", runId);
            // The execution holding the lease may perform this very job (Hangfire handed a frozen Worker's job to
            // another): ending normally would mark that job succeeded under it, and Hangfire would abort it.
            var holder = await Life.HolderAsync(runId, CancellationToken.None);
            if (holder?.LeaseOwner is { } other && other != owner && jobId != "-" && other.Contains($"/{jobId}/", StringComparison.Ordinal))
            {
                log.LogInformation("Run {RunId}: job {JobId} is performed by {Holder} now; leaving its outcome to it", runId, jobId, other);
                throw new JobAbortedException();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown (SIGTERM), or the job was deleted or requeued: give the run back so another worker resumes it
            // from its latest checkpoint at once instead of waiting for the lease to lapse.
            await Life.ReleaseLeaseAsync(runId, owner, CancellationToken.None);
            if (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                log.LogInformation("Run {RunId} released for another worker (shutdown)", runId);
                throw; // Hangfire requeues the job
            }
            // The job's state was changed by someone else (deleted, requeued): that state stands. If no job is left to
            // train the run, the Orchestrator's dispatcher gives it a new one (the run is queued without a live job).
            log.LogInformation("Run {RunId} released for another worker (its job was deleted or requeued)", runId);
            throw new JobAbortedException();
        }
        catch (Exception e) when (!DbRetry.IsTransient(e))
        {
            // A deterministic failure: trying again would fail again, so record it on the run and end the job.
            log.LogError(e, "Run {RunId} failed", runId);
            var error = e is ValidationException v ? string.Join("; ", v.Errors) : $"{e.GetType().Name}: {e.Message}";
            await Life.FinishAsync(runId, owner, new RunOutcome(RunStatus.Failed, null, null, null, null, null, error), CancellationToken.None);
        }
    }

    private async Task<RunOutcome> TrainAndEvaluateAsync(RunStore.RunInfo run, string owner, CancellationToken ct)
    {
        if (options.SimulatedSecondsPerCost is { } scale) return await SimulatedTraining.RunAsync(store, run, owner, scale, log, ct);
        var data = await RunData.LoadAsync(store, run, options.CacheDir, log, ct);
        var (hp, splits) = (data.Hyperparameters, data.Splits);
        var retries = run.DivergenceRetries;
        if (hp.IsBFloat16 && device.Device.type == TorchSharp.DeviceType.CPU && Processor.Read() is { NativeBFloat16: false } cpu)
            log.LogWarning("Run {RunId} trains with precision bfloat16, but {Processor}: expect it many times slower than float32", run.Id, cpu.NoBFloat16);
        // The run's cap as stored now ('rnnsweep resume --max-epochs' may have changed it while it trained).
        void ApplyCap(int maxEpochs, Trainer trainer)
        {
            if (maxEpochs == hp.MaxEpochs) return;
            log.LogInformation("Run {RunId}: maxEpochs is now {MaxEpochs}", run.Id, maxEpochs);
            hp = hp with { MaxEpochs = maxEpochs };
            trainer.CapEpochs(maxEpochs);
        }
        // Each epoch is committed while the next one trains (EpochCommitter: at most one commit in flight).
        await using var committer = new EpochCommitter(store, run.Id, owner, log);
        using var training = CancellationTokenSource.CreateLinkedTokenSource(ct, committer.Lost);
        while (true)
        {
            var cell = data.Cell with { Hyperparameters = hp };
            var latest = await store.LoadCheckpointAsync(run.Id, CheckpointKind.Latest, ct);
            using var trainer = new Trainer(cell, splits, device.Device, latest);
            if (latest is not null) log.LogInformation("Resuming run {RunId} after epoch {Epoch} from its latest checkpoint", run.Id, latest.Epoch);
            while (true)
            {
                if (trainer.Stop != TrainingStop.None)
                {
                    // Training stopped; the last commit may still be in flight, and the cap it reads may continue it.
                    if (await committer.FlushAsync(ct) is not { } last) break;
                    ApplyCap(last, trainer);
                    continue;
                }
                EpochReport report;
                try
                {
                    report = trainer.RunEpoch(training.Token);
                }
                catch (OperationCanceledException) when (committer.Lost.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    throw new LeaseLostException(run.Id); // the previous epoch's commit found the run no longer ours
                }
                if (trainer.Stop == TrainingStop.Diverged)
                {
                    if (await committer.FlushAsync(ct) is { } cap) ApplyCap(cap, trainer);
                    break; // a diverged epoch is not kept
                }
                var checkpoint = trainer.SaveCheckpoint(reuse: committer.TakeCommitted());
                foreach (var note in trainer.TakeKernelNotes()) log.LogInformation("Run {RunId} runs on {Kernel}", run.Id, note);
                log.LogInformation("Epoch {Epoch}: train {TrainLoss:0.0000} val {ValLoss:0.0000} lr {LearningRate:g3} {CharsPerSecond:0} chars/s{Best}",
                    report.Epoch, report.TrainLoss, report.ValLoss, report.LearningRate, report.CharsPerSecond, report.IsBest ? " (best)" : "");
                if (committer.InFlightEpoch is not null)
                {
                    // The cap the previous commit read decides whether this epoch is kept (resume --max-epochs lowered it).
                    if (await committer.FlushAsync(ct) is { } cap) ApplyCap(cap, trainer);
                    if (report.Epoch > hp.MaxEpochs)
                    {
                        log.LogInformation("Run {RunId}: epoch {Epoch} is past maxEpochs {MaxEpochs}; not kept", run.Id, report.Epoch, hp.MaxEpochs);
                        break;
                    }
                }
                await committer.StartAsync(trainer.ParameterCount, report, checkpoint, report.IsBest, trainer.BestEpoch, ct);
            }
            await committer.FlushAsync(ct);
            if (trainer.Stop == TrainingStop.Diverged && retries < hp.DivergenceRetries)
            {
                retries++;
                hp = RunHyperparameters.Effective(data.Submitted, hp.MaxEpochs, retries);
                log.LogWarning("Run {RunId} diverged ({Reason}); restart {Retry} of {Retries} at learning rate {LearningRate:g3}",
                    run.Id, trainer.StopReason, retries, hp.DivergenceRetries, hp.LearningRate);
                if (!await Life.RestartAfterDivergenceAsync(run.Id, owner, retries, ct)) throw new LeaseLostException(run.Id);
                continue;
            }
            if (trainer.Stop == TrainingStop.Diverged && trainer.BestEpoch == 0)
            {
                return new RunOutcome(RunStatus.Diverged, null, null, null, StopKind.Divergence, trainer.StopReason, null);
            }
            return await EvaluateAsync(run, cell, splits, trainer.Stop, trainer.StopReason, ct);
        }
    }

    /// <summary>The best checkpoint, as stored, on full train, validation and test passes with dropout off.</summary>
    private async Task<RunOutcome> EvaluateAsync(RunStore.RunInfo run, CellSpec cell, CorpusSplits splits, TrainingStop stop, string? reason, CancellationToken ct)
    {
        var best = await store.LoadCheckpointAsync(run.Id, CheckpointKind.Best, ct)
                   ?? throw new InvalidOperationException("training ended without a best checkpoint");
        var (train, val, test) = Evaluator.Losses(cell, splits, best, device.Device);

        var kind = stop switch
        {
            TrainingStop.Diverged => StopKind.Divergence,
            TrainingStop.EarlyStopped => StopKind.EarlyStopping,
            TrainingStop.MaxEpochs => StopKind.MaxEpochs,
            _ => throw new InvalidOperationException($"training ended without a stop: {stop}"),
        };
        if (stop == TrainingStop.Diverged) return new RunOutcome(RunStatus.Diverged, train, val, test, kind, reason, null);
        // why: the seed reproduction left 7 of 36 cells stuck near the unigram loss, reported as done
        // (docs/paper-and-peers.md#the-seed-reproduction). A run that learned nothing beyond character frequencies is a failure.
        var unigram = Baselines.UnigramEntropy(splits.Train, splits.Validation, splits.VocabularySize);
        if (!(val < unigram - 1e-3))
        {
            return new RunOutcome(RunStatus.Failed, train, val, test, kind, reason,
                $"validation loss {val:0.0000} is no better than predicting symbol frequencies ({unigram:0.0000} {VocabularyKinds.LossUnit(cell.Hyperparameters.Vocabulary)}): the model learned nothing");
        }
        return new RunOutcome(RunStatus.Succeeded, train, val, test, kind, reason, null);
    }

    private static string Cell(RunStore.RunInfo run) => $"{run.Model} {run.Layers}x{run.Hidden}";
}
