using System.CommandLine;
using System.CommandLine.Help;
using RnnSweep.Orchestrator.Cli;

namespace RnnSweep.Orchestrator;

/// <summary>The <c>rnnsweep</c> command line. Each command lives in its own file.</summary>
public static partial class CliRoot
{
    public static async Task<int> RunAsync(string[] args)
    {
        // why: RootCommand names itself after the executable (RnnSweep.Orchestrator); users type ./rnnsweep.
        var root = new Command("rnnsweep", """
            RnnSweep: train a grid of character-level LSTM/GRU/RNN models (Karpathy et al. 2015) as Hangfire jobs,
            with results in PostgreSQL. Start with 'rnnsweep sweep', which runs the 'quick' grid on tinyshakespeare
            end to end on this machine. The database is RNNSWEEP_CONNECTION, or a private local PostgreSQL.

            A first session:
              rnnsweep sweep                             train the quick grid here, print its table, serve the dashboard
              rnnsweep submit --preset paper             enqueue the paper's grid for Workers anywhere
              rnnsweep status --watch                    progress of every sweep
              rnnsweep table 2 --loss val                a loss table laid out as the paper's Table 1
              rnnsweep sample 17 --prime "The "          text from a run's best checkpoint
              rnnsweep export 2 --what both --dir out    runs and epoch metrics as CSV
              rnnsweep export-model 17 --dir models      a run's best checkpoint for PyTorch (state dict + JSON config)
              rnnsweep cancel 2 / rnnsweep resume 2      stop a sweep, continue it from its checkpoints
              rnnsweep db start / rnnsweep db stop       keep the private PostgreSQL running between commands, or stop it
            Run 'rnnsweep COMMAND --help' for a command's options.
            """);
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(MigrateCommand.Create());
        root.Subcommands.Add(SubmitCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(TableCommand.Create());
        root.Subcommands.Add(Bench.BenchCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(SampleCommand.Create());
        root.Subcommands.Add(ExportModelCommand.Create());
        root.Subcommands.Add(ControlCommands.Cancel());
        root.Subcommands.Add(ControlCommands.Resume());
        root.Subcommands.Add(DbCommand.Create());
        using var signals = new ShutdownSignals();
        // No System.CommandLine signal handling (ShutdownSignals does it) and no default exception handler:
        // an interrupted or misconfigured command ends with one line, not a stack trace.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line per mistake and where to look, not the whole help page (which hides the error above it).
            // An unknown command also reports that no command was given; the first says it better. Parse errors name
            // .NET types ('System.Int32'): the kind of value is said in words, as the JSON errors say it.
            var unknown = parse.Errors.Any(e => e.Message.StartsWith("Unrecognized command", StringComparison.Ordinal));
            // The value after a mistyped option ("--hiden-sizes 64") is unrecognized too; the option's error says it all.
            var unmatched = parse.UnmatchedTokens;
            var valuesOfUnknownOptions = unmatched.Where((t, i) => i > 0 && unmatched[i - 1].StartsWith("--", StringComparison.Ordinal) && !t.StartsWith('-'))
                .Select(t => $"Unrecognized command or argument '{t}'.").ToHashSet();
            // A mistyped option where the command takes a value ("status --wach") is read as that value and fails to
            // parse as it: it is named as the unknown option it is, with the library's suggestions from a second parse
            // in which a value comes first, so that the token is left unmatched.
            var misread = new List<(string Token, int At)>();
            var endOfOptions = Array.IndexOf(args, "--");
            foreach (var error in parse.Errors.Where(e => !(unknown && e.Message.StartsWith("Required command", StringComparison.Ordinal)) && !valuesOfUnknownOptions.Contains(e.Message)))
            {
                // After "--" a token is a value by the user's own word: its parse error stands as it is.
                if (MisreadOption().Match(error.Message) is { Success: true } option
                    && Array.IndexOf(args, option.Groups["token"].Value) is >= 0 and var at && (endOfOptions < 0 || at < endOfOptions))
                {
                    misread.Add((option.Groups["token"].Value, at));
                    Console.Error.WriteLine($"error: Unrecognized command or argument '{option.Groups["token"].Value}'.");
                    continue;
                }
                Console.Error.WriteLine($"error: {System.Text.RegularExpressions.Regex.Replace(error.Message, @"as expected type '(?<type>[^']+)'", m => "as " + Shared.Json.JsonContract.ExpectedValue(m.Groups["type"].Value))}");
            }
            foreach (var line in Suggestions(parse)) Console.Error.WriteLine(line);
            foreach (var (token, at) in misread)
            {
                foreach (var line in Suggestions(root.Parse([.. args[..at], "0", .. args[at..]]), token)) Console.Error.WriteLine(line);
            }
            var names = new List<string>();
            for (var command = parse.CommandResult; command is not null; command = command.Parent as System.CommandLine.Parsing.CommandResult) names.Insert(0, command.Command.Name);
            Console.Error.WriteLine($"Run '{string.Join(' ', names)} --help' for the options.");
            return 2;
        }
        try
        {
            return await parse.InvokeAsync(invocation, signals.Token);
        }
        catch (OperationCanceledException) when (signals.Token.IsCancellationRequested)
        {
            Console.Error.WriteLine("Stopped.");
            return Interrupted;
        }
        catch (Shared.Domain.ValidationException e)
        {
            // The options given on the command line (not filled in by a default), by name: "--hidden-sizes".
            var typed = parse.CommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>().Where(o => !o.Implicit).Select(o => o.Option.Name).ToHashSet();
            CliOptions.WriteErrors(e.Errors, typed);
            return 2;
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
        {
            Console.Error.WriteLine("error: the database has no RnnSweep tables yet: 'rnnsweep migrate' creates them (as do 'sweep', 'serve' and 'submit')");
            return 1;
        }
    }

    /// <summary>
    /// System.CommandLine's "did you mean" for each mistyped option ("'--hiden-sizes' was not matched. Did you mean one
    /// of the following?" and the nearest options), without its error lines (written above, in our words) or help.
    /// Only tokens that look like options or commands get suggestions: for a stray value ("64") the library offers
    /// whatever short alias is two edits away ("-h").
    /// </summary>
    /// <param name="only">Only this token's suggestions (null: every token's).</param>
    private static IEnumerable<string> Suggestions(ParseResult parse, string? only = null)
    {
        if (parse.Action is not System.CommandLine.Invocation.ParseErrorAction action) return [];
        (action.ShowHelp, action.ShowTypoCorrections) = (false, true);
        var written = new StringWriter();
        parse.Invoke(new InvocationConfiguration { Output = written, Error = TextWriter.Null, EnableDefaultExceptionHandler = false });
        var lines = new List<string>();
        var keep = false;
        var token = "";
        var block = new List<string>();
        foreach (var line in written.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Append("'"))
        {
            // Each token's block starts with its quoted name; the suggestions follow one per line. A suggestion equal to
            // the token itself (a value after "--", which ends the options) is no correction.
            if (line.StartsWith('\''))
            {
                if (block.Count > 1) lines.AddRange(block);
                block.Clear();
                var end = line.IndexOf('\'', 1);
                token = end > 1 ? line[1..end] : "";
                keep = token.Length > 0 && (token[0] == '-' || token.All(char.IsAsciiLetter)) && (only is null || token == only);
            }
            else if (line == token) continue;
            if (keep) block.Add(line);
        }
        return lines;
    }

    /// <summary>The parse error of a token that looks like an option, taken as the value of an argument.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("^Cannot parse argument '(?<token>-[^']*)' for command ")]
    private static partial System.Text.RegularExpressions.Regex MisreadOption();

    /// <summary>The exit code of a command stopped by Ctrl+C or SIGTERM before it finished (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
