using RnnSweep.Shared.Jobs;
using RnnSweep.Worker.Hosting;

namespace RnnSweep.Worker.Tests.Hosting;

public class WorkerOptionsTests
{
    [Fact]
    public void QueuePollInterval_DefaultsToTheStorageDefault_AndIsValid()
    {
        var options = new WorkerOptions { Queues = ["cpu"] };
        Assert.Equal(HangfireStorageSetup.DefaultQueuePollInterval, options.QueuePollInterval);
        Assert.Empty(options.Validate());
    }

    [Theory]
    [InlineData("00:00:00.01")]
    [InlineData("00:00:00")]
    [InlineData("00:02:00")]
    public void QueuePollInterval_OutOfRange_IsRefusedNamingTheSetting(string value)
    {
        var options = new WorkerOptions { Queues = ["cpu"], QueuePollInterval = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) };
        var error = Assert.Single(options.Validate());
        Assert.Equal("Worker:QueuePollInterval", error.Field);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }
}
