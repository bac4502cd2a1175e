using Serilog;
using Serilog.Events;

namespace RnnSweep.Shared.Logging;

public static class Logging
{
    public const string Template = "[{Timestamp:HH:mm:ss} {Level:u3}] {Process} {RunId} {Message:lj}{NewLine}{Exception}";

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
        .Enrich.WithProperty("Process", process)
        .WriteTo.Console(outputTemplate: Template, standardErrorFromLevel: LogEventLevel.Verbose);
}
