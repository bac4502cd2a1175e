using RnnSweep.Worker.Hosting;

namespace RnnSweep.Worker.Jobs;

/// <summary>
/// One torch job at a time per process: torch's default generator (dropout, weight init) is process-wide, so a
/// second job in the same process would change a training run's random stream and break exact resume.
/// Run one Worker process per device for parallelism. Releasing the lock returns the memory the job freed
/// (<see cref="FreedMemory"/>), so that each job starts from the same footprint.
/// </summary>
public static class TorchLock
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task<IDisposable> AcquireAsync(CancellationToken ct)
    {
        await Gate.WaitAsync(ct);
        return new Releaser();
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
