using System.Runtime.CompilerServices;
using RnnSweep.Worker.Hosting;

namespace RnnSweep.Worker.Jobs;

/// <summary>
/// One torch job at a time per process, on one thread: torch's default generator (dropout, weight init) is
/// process-wide, so a second job in the same process would change a training run's random stream and break exact
/// resume; and every job runs its torch work on <see cref="TorchThread"/> (the awaiting code continues there after the
/// lock is taken), so OpenMP keeps one team of threads. Run one Worker process per device for parallelism. Releasing
/// the lock returns the memory the job freed (<see cref="FreedMemory"/>), so that each job starts from the same
/// footprint.
/// </summary>
public static class TorchLock
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>
    /// <c>using var torch = await TorchLock.AcquireAsync(ct);</c> waits for the lock, then continues on
    /// <see cref="TorchThread"/>, and so does the rest of the awaiting method. Throws
    /// <see cref="OperationCanceledException"/> (on the thread pool) when <paramref name="ct"/> ends the wait.
    /// </summary>
    /// <remarks>
    /// An awaitable of its own because an async method returning a Task cannot hand its caller to the torch thread: the
    /// caller's continuation is not run inline on a thread that has a SynchronizationContext, so it would resume on the
    /// thread pool.
    /// </remarks>
    public static Acquisition AcquireAsync(CancellationToken ct) => new(Gate.WaitAsync(ct));

    /// <summary>The awaitable of <see cref="AcquireAsync"/>.</summary>
    public readonly struct Acquisition(Task wait) : INotifyCompletion
    {
        public Acquisition GetAwaiter() => this;

        public bool IsCompleted => false; // always through the torch thread, even when the lock was free

        // A wait that ended without the lock (cancelled) throws on the thread pool at once: queued behind the running
        // job on the torch thread, a deleted job would hold its Hangfire slot until that job's next await.
        public void OnCompleted(Action continuation) =>
            wait.ContinueWith(static (t, c) =>
            {
                if (t.IsCompletedSuccessfully) TorchThread.Instance.Continue((Action)c!);
                else ThreadPool.UnsafeQueueUserWorkItem(static a => ((Action)a!)(), c);
            }, continuation, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        public IDisposable GetResult()
        {
            wait.GetAwaiter().GetResult();
            return new Releaser();
        }
    }

    private sealed class Releaser : IDisposable
    {
        private int _released;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            try
            {
                FreedMemory.Return();
            }
            catch (Exception)
            {
                // Best effort: a failure to return memory must neither keep the lock (every later job would wait on
                // it) nor replace the job's own outcome, which Dispose runs after.
            }
            finally
            {
                Gate.Release();
            }
        }
    }
}
