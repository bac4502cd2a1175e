using System.CommandLine;

namespace RnnSweep.Orchestrator.Cli;

/// <summary>The <c>rnnsweep</c> command line. Each command lives in its own file.</summary>
public static class CliRoot
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("""
            RnnSweep: train a grid of character-level LSTM/GRU/RNN models (Karpathy et al. 2015) as Hangfire jobs,
            with results in PostgreSQL. Start with 'rnnsweep sweep', which runs the 'quick' grid on tinyshakespeare
            end to end on this machine. The database is RNNSWEEP_CONNECTION, or a private local PostgreSQL.
            """);
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(MigrateCommand.Create());
        root.Subcommands.Add(SubmitCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(TableCommand.Create());
        return await root.Parse(args).InvokeAsync();
    }
}
