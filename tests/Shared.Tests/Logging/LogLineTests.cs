using Serilog;
using Serilog.Context;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace RnnSweep.Shared.Tests.Logging;

/// <summary>The log line's run label: once per line, whether the run comes from the job's context or the message.</summary>
public sealed class LogLineTests
{
    private sealed class Lines : ILogEventSink
    {
        private readonly MessageTemplateTextFormatter _format = new(Shared.Logging.Logging.Template);
        public List<string> Written { get; } = [];

        public void Emit(LogEvent logEvent)
        {
            using var text = new StringWriter();
            _format.Format(logEvent, text);
            var line = text.ToString().TrimEnd();
            Written.Add(line[(line.IndexOf("] ", StringComparison.Ordinal) + 2)..]); // from the process name on
        }
    }

    [Fact]
    public void ARunIsNamedOncePerLine()
    {
        var lines = new Lines();
        using (var log = Shared.Logging.Logging.Configure(new LoggerConfiguration(), "worker").WriteTo.Sink(lines).CreateLogger())
        {
            using (LogContext.PushProperty("RunId", 7))
            {
                log.Information("Epoch {Epoch}: train loss {Loss}", 3, 1.5);
                log.Information("Run {RunId} analysed", 7);
            }
            log.Information("Run {RunId} has no best checkpoint: {What}", 8, "nothing to analyse");
            log.Information("Sweep {SweepId} created", 2);
        }
        Assert.Equal(["worker run 7 Epoch 3: train loss 1.5", "worker Run 7 analysed", "worker Run 8 has no best checkpoint: nothing to analyse", "worker Sweep 2 created"],
            lines.Written);
    }
}
