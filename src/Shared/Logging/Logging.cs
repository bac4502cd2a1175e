using Serilog;
using Serilog.Events;

namespace RnnSweep.Shared.Logging;

public static class Logging
{
    /// <summary>"[12:00:00 INF] worker run 17 Epoch 3: ...": {Run} is "run ID" inside a run's job, else empty.</summary>
    public const string Template = "[{Timestamp:HH:mm:ss} {Level:u3}] {Process} {Run}{Message:lj}{NewLine}{Exception}";

    public static LoggerConfiguration Configure(LoggerConfiguration config, string process) => config
        .MinimumLevel.Information()
        .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
        .MinimumLevel.Override("Microsoft.EntityFrameworkCore", LogEventLevel.Warning)
        // EF logs every failed command as an error, also the expected ones (the migrations history on a new database);
        // real failures surface as exceptions where they matter.
        .MinimumLevel.Override("Microsoft.EntityFrameworkCore.Database.Command", LogEventLevel.Fatal)
        .MinimumLevel.Override("Hangfire", LogEventLevel.Warning)
        .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
        .Enrich.FromLogContext()
        .Enrich.With<RunLabel>()
        .Enrich.WithProperty("Process", process)
        .WriteTo.Console(outputTemplate: Template, standardErrorFromLevel: LogEventLevel.Verbose);

    /// <summary>
    /// Labels a job's lines "run ID " from its RunId property. why: the bare id after the process name read as a
    /// worker number ("worker 1 Run 1 ..."). A message that names the run itself ("Run {RunId} analysed") gets no
    /// label, which would say the run twice ("worker run 2 Run 2 analysed").
    /// </summary>
    private sealed class RunLabel : Serilog.Core.ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, Serilog.Core.ILogEventPropertyFactory factory)
        {
            var named = logEvent.MessageTemplate.Text.Contains("{RunId", StringComparison.Ordinal);
            var label = !named && logEvent.Properties.TryGetValue("RunId", out var id) ? $"run {id} " : "";
            logEvent.AddPropertyIfAbsent(factory.CreateProperty("Run", label));
        }
    }
}
