using Spectre.Console;

namespace RnnSweep.Orchestrator.Cli;

/// <summary>
/// The console a command writes to, made when the command runs (so a redirected <see cref="Console.Out"/> is honoured):
/// plain text, wide enough for a paper-sized table, when output goes to a file or a pipe.
/// </summary>
public static class Terminal
{
    public static IAnsiConsole Create()
    {
        var redirected = Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (redirected) console.Profile.Width = 240;
        return console;
    }
}
