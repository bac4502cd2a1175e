using RnnSweep.Orchestrator;
using RnnSweep.Orchestrator.Cli;
using RnnSweep.Shared.Database;

namespace RnnSweep.Orchestrator.Tests.Cli;

/// <summary>Runs <c>rnnsweep ARGS</c> in this process with RNNSWEEP_CONNECTION set, capturing standard output and error.</summary>
public static class CliRunner
{
    private static readonly SemaphoreSlim OneAtATime = new(1); // Console and the environment are process-wide

    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string? connection, params string[] args)
    {
        await OneAtATime.WaitAsync();
        var previousOut = Console.Out;
        var previousError = Console.Error;
        var previousConnection = Environment.GetEnvironmentVariable(DatabaseSettings.EnvironmentVariable);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Console.SetOut(stdout);
        Console.SetError(stderr);
        if (connection is not null) Environment.SetEnvironmentVariable(DatabaseSettings.EnvironmentVariable, connection);
        try
        {
            var exit = await CliRoot.RunAsync(args);
            return (exit, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
            Environment.SetEnvironmentVariable(DatabaseSettings.EnvironmentVariable, previousConnection);
            OneAtATime.Release();
        }
    }
}
