using RnnSweep.Shared.Runs;
using RnnSweep.Worker.Training;

namespace RnnSweep.Worker.Stores;

/// <summary>
/// Commits a run's epochs (<see cref="RunLife.CommitEpochAsync"/>: metrics, latest and best checkpoint, progress) in
/// the background while the next epoch trains. Why: a 3x512 LSTM's checkpoint with Adam state is 65 MB, and sending
/// it to PostgreSQL took about a second that the training loop used to wait for (docs/benchmarks.md).
/// Bounded: at most one commit is in flight; <see cref="StartAsync"/> waits for the previous one first, so epochs
/// land in order and at most two checkpoints are in memory. The commit itself is unchanged: one transaction that
/// writes nothing unless the run is still running under this lease, so a cancel made meanwhile wins and a crash
/// leaves the last committed checkpoint to resume from.
/// </summary>
public sealed class EpochCommitter(RunStore store, long runId, string owner, ILogger? log = null) : IAsyncDisposable
{
    /// <summary>How long <see cref="DisposeAsync"/> lets a commit in flight finish (shutdown) before it is cancelled.</summary>
    public static readonly TimeSpan DisposeGrace = TimeSpan.FromSeconds(20);

    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _abandon = new();
    private Task<int?>? _inFlight;
    private CheckpointData? _inFlightCheckpoint;
    private readonly Stack<CheckpointData> _committed = new(); // finished commits' checkpoints, for SaveCheckpoint to overwrite

    /// <summary>Fires when a commit found the run no longer this owner's (cancelled, taken over): training must stop.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>The epoch of the commit in flight, or null.</summary>
    public int? InFlightEpoch { get; private set; }

    /// <summary>
    /// Waits for the commit in flight, then starts committing this epoch in the background and returns.
    /// </summary>
    /// <returns>The epoch cap the previous commit read (null when none was in flight).</returns>
    /// <exception cref="LeaseLostException">The previous commit found the lease gone; this epoch is not started.</exception>
    public async Task<int?> StartAsync(long parameterCount, EpochReport report, CheckpointData latest, bool isBest, int bestEpoch, CancellationToken ct)
    {
        var cap = await FlushAsync(ct);
        var abandon = _abandon.Token;
        InFlightEpoch = report.Epoch;
        _inFlightCheckpoint = latest;
        // Not cancelled by the job's token: a shutdown lets the finished epoch land (DisposeAsync bounds the wait).
        _inFlight = Task.Run(async () =>
        {
            var stored = await store.CommitEpochAsync(runId, owner, parameterCount, report, latest, isBest, bestEpoch, abandon);
            if (stored is null) await _lost.CancelAsync();
            return stored;
        }, CancellationToken.None);
        return cap;
    }

    /// <summary>Waits for the commit in flight, if any.</summary>
    /// <returns>The run's epoch cap as that commit read it, or null when nothing was in flight.</returns>
    /// <exception cref="LeaseLostException">The commit found the lease gone and wrote nothing.</exception>
    public async Task<int?> FlushAsync(CancellationToken ct)
    {
        if (_inFlight is not { } task) return null;
        var stored = await task.WaitAsync(ct);
        // Two are enough: the one in flight and one being overwritten by the next SaveCheckpoint.
        if (_committed.Count < 2) _committed.Push(_inFlightCheckpoint!);
        (_inFlight, InFlightEpoch, _inFlightCheckpoint) = (null, null, null);
        return stored ?? throw new LeaseLostException(runId);
    }

    /// <summary>
    /// A checkpoint whose commit has finished, for <see cref="Trainer.SaveCheckpoint"/> to overwrite; null when none is
    /// left. Never the one in flight, and each is given out once.
    /// </summary>
    public CheckpointData? TakeCommitted() => _committed.TryPop(out var committed) ? committed : null;

    public async ValueTask DisposeAsync()
    {
        if (_inFlight is { } task)
        {
            try
            {
                await task.WaitAsync(DisposeGrace);
            }
            catch (TimeoutException)
            {
                log?.LogWarning("Run {RunId}: the commit of epoch {Epoch} did not finish within {Grace}; abandoning it (the run resumes from its last committed checkpoint)",
                    runId, InFlightEpoch, DisposeGrace);
                await _abandon.CancelAsync();
                try { await task; } catch (Exception) { /* already reported by the caller's own failure */ }
            }
            catch (Exception)
            {
                // The caller is already failing (that is why a commit is still in flight); its error is the one to report.
            }
        }
        _lost.Dispose();
        _abandon.Dispose();
    }
}
