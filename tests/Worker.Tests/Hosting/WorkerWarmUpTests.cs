using Microsoft.Extensions.Logging.Abstractions;
using RnnSweep.Worker.Hosting;
using RnnSweep.Worker.Stores;

namespace RnnSweep.Worker.Tests.Hosting;

public sealed class WorkerWarmUpTests
{
    /// <summary>
    /// A Worker stopped while it starts (a re-run sweep with nothing left to train stops its Workers at once) ends its
    /// start quietly: an exception out of StartAsync is logged by the host as "Hosting failed to start" with a trace.
    /// </summary>
    [Fact]
    public async Task StoppedWhileStarting_StartEndsWithoutAnException()
    {
        // Port 1: nothing listens there, so the warm-up's query would wait on its retries until cancelled.
        using var store = new RunStore("Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=2");
        using var stopping = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var warmUp = new WorkerWarmUp(store, NullLogger<WorkerWarmUp>.Instance);
        var start = warmUp.StartAsync(stopping.Token);
        await start.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(stopping.IsCancellationRequested);
        Assert.True(start.IsCompletedSuccessfully);
    }
}
