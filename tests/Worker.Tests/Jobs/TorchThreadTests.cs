using RnnSweep.Worker.Jobs;
using TorchSharp;

namespace RnnSweep.Worker.Tests.Jobs;

/// <summary>Torch work of every job on one thread, across the job's awaits (TorchLock, TorchThread).</summary>
public sealed class TorchThreadTests
{
    [Fact]
    public async Task AJob_KeepsItsTorchWorkOnOneThread_AcrossAwaits_AndJobsShareIt()
    {
        var threads = new HashSet<int>();
        for (var job = 0; job < 2; job++)
        {
            await Task.Run(async () =>                            // as Hangfire starts a job: on some pool thread
            {
                using var held = await TorchLock.AcquireAsync(CancellationToken.None);
                Assert.True(TorchThread.Instance.IsCurrent);
                threads.Add(Environment.CurrentManagedThreadId);
                using (var x = torch.ones(64, 64)) using (var y = x.matmul(x)) Assert.Equal(64f, y[0, 0].item<float>());
                await Task.Delay(20);                              // a database call between epochs
                threads.Add(Environment.CurrentManagedThreadId);
                await Task.Yield();
                threads.Add(Environment.CurrentManagedThreadId);
                await Task.Run(() => Thread.Sleep(5));             // work finished on another thread
                threads.Add(Environment.CurrentManagedThreadId);
            });
        }
        Assert.Single(threads);
    }

    [Fact]
    public async Task ACancelledWait_EndsAtOnce_WhileAnotherJobHoldsTheTorchThread()
    {
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = Task.Run(async () =>
        {
            using var held = await TorchLock.AcquireAsync(CancellationToken.None);
            holding.SetResult();
            Thread.Sleep(3000);                                    // an epoch: the torch thread is busy, no await
        });
        await holding.Task;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => { using var _ = await TorchLock.AcquireAsync(cancel.Token); });
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the cancelled wait ended after {clock.Elapsed.TotalSeconds:0.0} s, behind the running job");
        await job;
    }

    [Fact]
    public async Task Send_FromAnotherThread_RunsOnTheTorchThread_AndCarriesItsException()
    {
        await Task.Run(() =>
        {
            var ran = 0;
            TorchThread.Instance.Send(_ => ran = Environment.CurrentManagedThreadId, null);
            Assert.NotEqual(Environment.CurrentManagedThreadId, ran);
            var e = Assert.Throws<InvalidOperationException>(() => TorchThread.Instance.Send(_ => throw new InvalidOperationException("inside"), null));
            Assert.Equal("inside", e.Message);
        });
    }
}
