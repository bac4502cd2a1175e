using System.CommandLine;
using RnnSweep.Shared.Logging;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Jobs;
using Serilog;
using Serilog.Extensions.Logging;

namespace RnnSweep.Worker.Hosting;

/// <summary>
/// The Worker's command line: with no verb it trains (a Hangfire server, <see cref="WorkerComposition.AddWorker"/>);
/// <c>evaluate</c>, <c>ngram</c> and <c>bench</c> are tools; <c>--health</c> is the container probe. Every verb logs
/// to the console (stderr) through Serilog, as the Worker itself does.
/// </summary>
public static class WorkerCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var health = new Option<string?>(WorkerHealth.ProbeFlag)
        {
            Description = "Check the heartbeat file and exit 0 (healthy) or 1: 'live' (fresh) or 'ready' (fresh and the database answered)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var root = new RootCommand("""
            RnnSweep Worker: trains the runs of the queues it listens on (Hangfire jobs in PostgreSQL), and answers
            analysis, sample and n-gram jobs. Settings come from the Worker section of appsettings.json, environment
            variables (Worker__Queues__0=gpu, RNNSWEEP_CONNECTION) or arguments (--Worker:Queues:0=gpu).
            Examples:
              RNNSWEEP_CONNECTION=... RnnSweep.Worker                   train runs of the 'cpu' queue
              RnnSweep.Worker --health ready                            the container probe
              RNNSWEEP_CONNECTION=... RnnSweep.Worker evaluate 17 18    losses of runs' best checkpoints now
              RnnSweep.Worker ngram warandpeace.txt --order 9           a text file's n-gram baseline
            """) { health };
        // Anything not a verb or option here is configuration for the host (--Worker:Name=gpu-1), as before.
        root.TreatUnmatchedTokensAsErrors = false;
        root.SetAction(async (parse, _) =>
        {
            if (parse.GetResult(health) is not null) return WorkerHealth.Probe(args);
            if (NotConfiguration(parse.UnmatchedTokens) is { } stray)
            {
                Console.Error.WriteLine($"error: unknown option or argument '{stray}': settings are given as --Section:Key=value (--Worker:Queues:0=gpu); see --help");
                return 2;
            }
            return await WorkerHost.RunAsync([.. parse.UnmatchedTokens]);
        });
        root.Subcommands.Add(Evaluate());
        root.Subcommands.Add(NGram());
        root.Subcommands.Add(Bench());
        // No System.CommandLine signal handling: the host's own (SIGTERM releases the running run, then exits).
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    // The host's own settings, which take no section; every other setting is Section:Key (Worker:Name, ConnectionStrings:RnnSweep).
    private static readonly string[] HostKeys = ["environment", "contentRoot", "applicationName"];

    /// <summary>
    /// The first token that is not host configuration (<c>--Section:Key=value</c>, <c>--Section:Key value</c>, or
    /// <c>--environment</c> and the host's other keys), or null: a misspelt verb or option is named instead of being
    /// stored as a setting nobody reads.
    /// </summary>
    internal static string? NotConfiguration(IReadOnlyList<string> tokens)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var key = token.StartsWith("--", StringComparison.Ordinal) ? token[2..] : token.StartsWith('/') ? token[1..] : null;
            if (key is null) return token;
            var equals = key.IndexOf('=');
            var name = equals >= 0 ? key[..equals] : key;
            if (!name.Contains(':') && !HostKeys.Contains(name, StringComparer.OrdinalIgnoreCase)) return token;
            if (equals < 0 && ++i >= tokens.Count) return token; // a key without its value
        }
        return null;
    }

    /// <summary>A console logger for a tool verb: the same Serilog setup as the Worker's host.</summary>
    public static Microsoft.Extensions.Logging.ILogger ConsoleLogger(string verb)
    {
        var serilog = Logging.Configure(new LoggerConfiguration(), "worker").CreateLogger();
        return new SerilogLoggerFactory(serilog, dispose: true).CreateLogger(verb);
    }

    private static Command Evaluate()
    {
        var runs = new Argument<long[]>("run-id") { Description = "Runs whose best checkpoints to evaluate", Arity = ArgumentArity.OneOrMore };
        var command = new Command(EvaluateCommand.Verb, """
            The losses of runs' best checkpoints now, on full train, validation and test passes (dropout off), as a
            tab-separated table on stdout: a long sweep's table before it ends. Needs RNNSWEEP_CONNECTION; writes nothing.
            """) { runs };
        command.SetAction(async (parse, _) => await EvaluateCommand.RunAsync(parse.GetValue(runs)!, ConsoleLogger(EvaluateCommand.Verb)));
        return command;
    }

    private static Command NGram()
    {
        var file = new Argument<FileInfo>("file") { Description = "A text file" };
        file.AcceptExistingOnly();
        var split = new Option<string>("--preset-split")
        {
            Description = "paper: char-rnn's loader as the paper preset sets it (bytes, 100 streams, 80/10/10 of each); contiguous: code points, 90/5/5 from the start",
            DefaultValueFactory = _ => NGramCommand.PaperSplit,
        };
        split.AcceptOnlyFromAmong(NGramCommand.PaperSplit, NGramCommand.ContiguousSplit);
        var order = new Option<int>("--order") { Description = "Highest order, 1 to 64", DefaultValueFactory = _ => NGramBaselineJob.MaxOrder };
        order.Validators.Add(r => { if (r.GetValue(order) is < 1 or > 64) r.AddError($"--order must be between 1 and 64, not {r.GetValue(order)}"); });
        var smoothing = new Option<string>("--smoothing") { Description = "kneser-ney, witten-bell or absolute", DefaultValueFactory = _ => "kneser-ney" };
        smoothing.AcceptOnlyFromAmong("kneser-ney", "witten-bell", "absolute");
        var memory = new Option<long>("--memory") { Description = "Bytes the counts may use; it stops at the highest order that fits", DefaultValueFactory = _ => new WorkerOptions().NGramMemoryBytes };
        var command = new Command(NGramCommand.Verb, """
            The n-gram baseline of a text file on the splits a sweep would use, printed per order (the figures in
            docs/results.md come from it). Writes nothing.
            """) { file, split, order, smoothing, memory };
        command.SetAction(parse => NGramCommand.Run(parse.GetValue(file)!.FullName, parse.GetValue(split)!, parse.GetValue(order),
            NGramSmoothingNames.Parse(parse.GetValue(smoothing)!), parse.GetValue(memory)));
        return command;
    }

    private static Command Bench()
    {
        var part = new Argument<string>("part") { Description = string.Join(", ", Worker.Bench.WorkerBench.Parts) };
        part.AcceptOnlyFromAmong(Worker.Bench.WorkerBench.Parts);
        var command = new Command("bench", """
            The TorchSharp half of 'rnnsweep bench', which runs it once per part with --name value options and reads
            its BENCH lines: loop (a model's training-loop overhead and FLOP/s), analysis (gate extraction and
            sampling), corpus (memory on a large generated corpus), machine (processor, nominal peak, matmul and
            bandwidth ceilings), precision (bfloat16 training against float32). Not meant to be typed by hand.
            """) { part };
        // The parts' options are many and differ per part: they pass through to Bench.BenchArgs, which refuses any
        // flag the part does not take and a value it cannot read, naming the flag.
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, _) => await Worker.Bench.WorkerBench.RunAsync([parse.GetValue(part)!, .. parse.UnmatchedTokens]));
        return command;
    }
}
