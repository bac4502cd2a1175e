using System.Globalization;

namespace RnnSweep.Worker.Bench;

/// <summary>
/// <c>--name value</c> pairs and <c>--name</c> switches of the Worker's <c>bench</c> command (driven by
/// <c>rnnsweep bench</c>, not typed by hand). Each part declares the flags it reads (<see cref="Accepted"/>); anything
/// else, a value flag without a value or a number that does not parse is refused, naming the flag, so a misspelt
/// flag never silently falls back to a default.
/// </summary>
public sealed class BenchArgs
{
    /// <summary>The flags each part reads: <c>Values</c> take the next token, <c>Switches</c> take none.</summary>
    public static readonly IReadOnlyDictionary<string, (string[] Values, string[] Switches)> Accepted = new Dictionary<string, (string[], string[])>
    {
        ["machine"] = (["threads"], []),
        ["loop"] = (["layers", "hidden", "threads", "input", "precision", "epoch-seconds", "epochs", "rounds", "run", "connection", "label", "batch", "seq", "batches"], ["memory-only", "checkpoints"]),
        ["analysis"] = (["threads", "repeats", "sample-length"], []),
        ["corpus"] = (["megabytes", "threads"], []),
        ["precision"] = (["layers", "hidden", "threads", "batches", "budget", "rounds"], ["probe", "check", "skip-micro"]), // the last three: PrecisionProbe
    };

    private readonly Dictionary<string, string?> _given = new(StringComparer.Ordinal);

    /// <param name="part">One of <see cref="WorkerBench.Parts"/>.</param>
    /// <param name="args">The tokens after the part.</param>
    /// <exception cref="BenchArgsException">An unknown flag (naming the part's flags), a stray token, a value flag
    /// without its value, or a flag given twice.</exception>
    public BenchArgs(string part, IReadOnlyList<string> args)
    {
        var (values, switches) = Accepted[part];
        for (var i = 0; i < args.Count; i++)
        {
            var token = args[i];
            if (!token.StartsWith("--", StringComparison.Ordinal))
                throw new BenchArgsException($"bench {part}: unexpected '{token}' (flags are --name value)");
            var name = token[2..];
            string? value = null;
            if (values.Contains(name))
            {
                if (i + 1 >= args.Count) throw new BenchArgsException($"bench {part}: --{name} needs a value");
                value = args[++i];
            }
            else if (!switches.Contains(name))
            {
                throw new BenchArgsException($"bench {part}: unknown flag --{name}; it accepts {string.Join(", ", values.Select(v => $"--{v} VALUE").Concat(switches.Select(s => $"--{s}")))}");
            }
            if (!_given.TryAdd(name, value)) throw new BenchArgsException($"bench {part}: --{name} is given twice");
        }
        Part = part;
    }

    public string Part { get; }

    public string? Get(string name) => _given.GetValueOrDefault(name);

    public bool Has(string name) => _given.ContainsKey(name);

    /// <exception cref="BenchArgsException">The value is not a whole number.</exception>
    public int Int(string name, int fallback) => Get(name) is { } v
        ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw NotANumber(name, v)
        : fallback;

    /// <exception cref="BenchArgsException">The value is not a whole number.</exception>
    public long Long(string name, long fallback) => Get(name) is { } v
        ? long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw NotANumber(name, v)
        : fallback;

    private BenchArgsException NotANumber(string name, string value) => new($"bench {Part}: --{name} must be a whole number, not '{value}'");
}

/// <summary>A bench flag the part does not take, or a value it cannot read; the message names the flag.</summary>
public sealed class BenchArgsException(string message) : Exception(message);
