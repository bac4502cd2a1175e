using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace RnnSweep.Worker.Jobs;

/// <summary>
/// The thread a Worker's jobs call libtorch on (see <see cref="TorchLock"/>): a dedicated thread with its own
/// <see cref="SynchronizationContext"/>, so a job that awaits (database calls between epochs) comes back to it instead
/// of going on on whichever thread-pool thread finished the awaited call.
/// Why: libtorch's CPU kernels run on OpenMP, and OpenMP gives every thread that starts a parallel region its own team
/// of worker threads, kept until that thread exits. A job that hopped across thread-pool threads left several teams
/// behind; with more OpenMP threads than cores, libgomp stops spinning at its barriers and sleeps instead, which the
/// many small parallel regions of an LSTM's steps pay for: the LSTM 3x512 training loop ran about 1.3x slower after one
/// await than on the thread it started on (docs/benchmarks.md, "One thread for torch").
/// </summary>
public sealed class TorchThread : SynchronizationContext
{
    /// <summary>The process's torch thread, started on first use.</summary>
    public static TorchThread Instance => Shared.Value;

    private static readonly Lazy<TorchThread> Shared = new(() => new TorchThread(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _work = new();
    private readonly Thread _thread;

    private TorchThread()
    {
        // 8 MB, as a main thread's stack on Linux: deep native call chains need no thread-pool-sized stack here.
        _thread = new Thread(Run, maxStackSize: 8 << 20) { IsBackground = true, Name = "torch" };
        _thread.Start();
    }

    /// <summary>Whether the calling code runs on the torch thread.</summary>
    public bool IsCurrent => Thread.CurrentThread == _thread;

    /// <summary>
    /// <c>await TorchThread.Instance.Enter()</c>: the code after it runs on the torch thread, and so does the code after
    /// each later <c>await</c> of the same method (unless that await says <c>ConfigureAwait(false)</c>).
    /// </summary>
    public Entry Enter() => new(this);

    public override void Post(SendOrPostCallback d, object? state) => _work.Add((d, state));

    /// <summary>Queues an await's continuation to run on the torch thread.</summary>
    internal void Continue(Action continuation) => Post(static c => ((Action)c!)(), continuation);

    /// <summary>Runs <paramref name="d"/> on the torch thread and waits for it (at once when already there).</summary>
    public override void Send(SendOrPostCallback d, object? state)
    {
        if (IsCurrent)
        {
            d(state);
            return;
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(_ =>
        {
            try
            {
                d(state);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }, null);
        done.Task.GetAwaiter().GetResult();
    }

    public override SynchronizationContext CreateCopy() => this;

    private void Run()
    {
        SetSynchronizationContext(this);
        foreach (var (callback, state) in _work.GetConsumingEnumerable())
        {
            try
            {
                callback(state);
            }
            catch (Exception e)
            {
                // An await's continuation never throws (its task carries the exception); anything else posted here that
                // throws is a bug, and the thread every torch job needs is gone with it: end the process, saying why.
                Environment.FailFast($"an exception escaped work posted to the torch thread: {e}", e);
            }
        }
    }

    /// <summary>The awaitable of <see cref="Enter"/>.</summary>
    public readonly struct Entry(TorchThread thread) : INotifyCompletion
    {
        public Entry GetAwaiter() => this;
        public bool IsCompleted => thread.IsCurrent;
        public void OnCompleted(Action continuation) => thread.Continue(continuation);
        public void GetResult() { }
    }
}
