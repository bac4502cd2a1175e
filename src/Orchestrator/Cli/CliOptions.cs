using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Cli;

/// <summary>Options shared by several commands, so each is spelled and explained once.</summary>
public static class CliOptions
{
    public static Option<string?> Preset(string? defaultValue = null) => new("--preset")
    {
        Description = $"Grid and hyperparameters to start from: {string.Join(", ", Presets.Names)}",
        DefaultValueFactory = _ => defaultValue,
    };

    public static Option<string?> Corpus() => new("--corpus")
    {
        Description = $"A corpus name ({string.Join(", ", KnownCorpora.All.Select(c => c.Name))}, or NAME.txt in the data directory), a path to a UTF-8 text file, or a folder or .tar, .tar.gz or .tar.xz file to build a corpus from (see --include)",
    };

    public static Option<string?> DataDir() => new("--data-dir")
    {
        Description = $"Folder holding corpus files such as tinyshakespeare.txt (also {CorpusOptions.DataDirVariable})",
    };

    public static Option<FileInfo?> SpecFile() => new("--spec") { Description = "A JSON sweep spec (the body of POST /api/sweeps); other options override its fields" };
    public static Option<string[]> Models() => List<string>("--models", "Model types, e.g. --models lstm gru", "a model type", AnyText);
    public static Option<int[]> Layers() => List<int>("--layers", "Layer counts, e.g. --layers 1 2", "a whole number", Whole<int>);
    public static Option<int[]> HiddenSizes() => List<int>("--hidden-sizes", "Hidden sizes (grid rows), e.g. --hidden-sizes 64 128", "a whole number", Whole<int>);
    public static Option<long[]> Seeds() => List<long>("--seeds", "Train every cell once per seed, e.g. --seeds 42 43 44", "a whole number", Whole<long>);

    /// <summary>
    /// A list option whose values are separated by spaces, commas or both (<c>--layers 1 2</c>, <c>--layers 1,2</c>,
    /// <c>--layers "1 2"</c>, <c>--layers 1, 2</c>): sweep tools differ on which, and neither spelling should be an
    /// error. A value that does not parse is named, as is an empty value between two commas (<c>1,,2</c>: a value was
    /// probably left out, and silently reading <c>1,2</c> would train another grid than meant).
    /// </summary>
    private static Option<T[]> List<T>(string name, string description, string kind, TryParse<T> parse) => new(name)
    {
        Description = $"{description} (or comma-separated)",
        AllowMultipleArgumentsPerToken = true,
        CustomParser = result =>
        {
            var values = new List<T>();
            foreach (var token in result.Tokens)
            {
                var parts = token.Value.Split(',', StringSplitOptions.TrimEntries);
                // A comma at either end of a token is a separator ("1, 2" is the tokens "1," and "2"); between two
                // values it must separate something.
                if (HasEmptyValueBetweenCommas(parts))
                {
                    result.AddError($"{name}: '{token.Value}' has an empty value between two commas");
                    return [];
                }
                foreach (var value in parts.SelectMany(p => p.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)))
                {
                    if (!parse(value, out var parsed))
                    {
                        var range = System.Numerics.BigInteger.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _)
                            ? " (it is out of range)" : "";
                        result.AddError($"Cannot parse argument '{value}' for option '{name}' as {kind}{range}.");
                        return [];
                    }
                    values.Add(parsed);
                }
            }
            // "--layers ," holds no value: not the same as leaving the option out (which takes the preset's).
            if (values.Count == 0 && result.Tokens.Count > 0) result.AddError($"{name} needs at least one value");
            return [.. values];
        },
    };

    private delegate bool TryParse<T>(string text, out T value);

    /// <summary>Model names are checked with the rest of the spec (SpecResolver), which names the valid ones.</summary>
    private static bool AnyText(string text, out string value)
    {
        value = text;
        return true;
    }

    private static bool Whole<T>(string text, out T value) where T : System.Numerics.IBinaryInteger<T> =>
        T.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out value!);

    public static Option<int?> MaxEpochs() => new("--max-epochs")
    {
        Description = "Train each run for at most this many epochs (the hyperparameter maxEpochs; early stopping may end a run sooner)",
    };

    public static Option<string[]> Axes() => new("--axis")
    {
        Description = "An extra grid axis: a hyperparameter and its values, e.g. --axis dropout=0,0.25,0.5 (repeat for more; one run per combination)",
    };

    /// <summary>A copy of a spec's JSON object (or a new one) that the options can change without touching the original.</summary>
    private static JsonObject CopyOf(JsonObject? basis) => basis?.DeepClone().AsObject() ?? [];

    /// <summary><paramref name="basis"/> with one more field set, for an option that is a shorthand for it.</summary>
    private static JsonObject WithField(JsonObject? basis, string field, JsonNode value)
    {
        var copy = CopyOf(basis);
        copy[field] = value;
        return copy;
    }

    /// <summary>Whether a list split at its commas has an empty value that is neither first nor last ("1,,2", not "1,").</summary>
    private static bool HasEmptyValueBetweenCommas(string[] parts) => parts.Length > 2 && Array.FindIndex(parts, 1, parts.Length - 2, p => p.Length == 0) > 0;

    /// <summary>
    /// <c>--axis NAME=V1,V2,...</c> options as the spec's <c>axes</c> object, on top of <paramref name="basis"/>'s.
    /// Each value is read as JSON (numbers, true, false) or else taken as a string (<c>optimizer=adam,rmsprop</c>).
    /// </summary>
    public static JsonObject? ParseAxes(string[]? options, JsonObject? basis)
    {
        if (options is not { Length: > 0 }) return basis;
        var axes = CopyOf(basis);
        foreach (var option in options)
        {
            var eq = option.IndexOf('=');
            if (eq <= 0 || eq == option.Length - 1) throw new ValidationException("--axis", $"'{option}' is not NAME=VALUE,VALUE,... (e.g. dropout=0,0.25,0.5)");
            var values = new JsonArray();
            var texts = option[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries);
            // As in the list options: a comma at either end separates nothing, but between two values it must
            // separate one (a value left out would otherwise become the string "" and fail as a wrong type).
            if (HasEmptyValueBetweenCommas(texts))
            {
                throw new ValidationException("--axis", $"'{option}' has an empty value between two commas");
            }
            foreach (var text in texts.Where(t => t.Length > 0))
            {
                JsonNode? value;
                try { value = JsonNode.Parse(text); }
                catch (JsonException) { value = JsonValue.Create(text); }
                values.Add(value);
            }
            axes[option[..eq].Trim()] = values;
        }
        return axes;
    }

    /// <summary>The spec a command describes: its --spec file, then --preset, --name and the grid options on top.</summary>
    public static SweepSpec ReadSpec(ParseResult parse, Option<FileInfo?> specFile, Option<string?> preset, Option<string?> name,
        Option<string[]> models, Option<int[]> layers, Option<int[]> hiddenSizes, Option<string?> corpus, Option<long[]>? seeds = null, Option<string[]>? axes = null,
        Option<int?>? maxEpochs = null)
    {
        var spec = new SweepSpec();
        if (parse.GetValue(specFile) is { } file)
        {
            if (!file.Exists) throw new ValidationException("--spec", $"file not found: {file.FullName}");
            try
            {
                spec = Shared.Json.JsonContract.DeserializeInput<SweepSpec>(File.ReadAllBytes(file.FullName)) ?? spec;
            }
            catch (JsonException e)
            {
                var at = Shared.Json.JsonContract.FieldOf(e) is { } field ? $" at {field}" : "";
                throw new ValidationException("--spec", $"{file.Name} is not a valid spec{at}: {Shared.Json.JsonContract.Describe(e)}");
            }
        }
        spec = spec with
        {
            Preset = parse.GetValue(preset) ?? spec.Preset,
            Name = parse.GetValue(name) ?? spec.Name,
            Models = parse.GetValue(models) is { Length: > 0 } m ? m : spec.Models,
            Layers = parse.GetValue(layers) is { Length: > 0 } l ? l : spec.Layers,
            HiddenSizes = parse.GetValue(hiddenSizes) is { Length: > 0 } h ? h : spec.HiddenSizes,
            Seeds = seeds is not null && parse.GetValue(seeds) is { Length: > 0 } s ? s : spec.Seeds,
            Axes = axes is null ? spec.Axes : ParseAxes(parse.GetValue(axes), spec.Axes),
            Hyperparameters = maxEpochs is not null && parse.GetValue(maxEpochs) is { } cap
                ? WithField(spec.Hyperparameters, "maxEpochs", cap)
                : spec.Hyperparameters,
        };
        return WithCorpus(spec, parse.GetValue(corpus));
    }

    public static Argument<long> SweepId() => new("sweep-id") { Description = "The sweep's id (see 'rnnsweep status')" };

    /// <summary>A corpus option that names an existing file becomes inline text, decoded strictly as UTF-8.</summary>
    public static SweepSpec WithCorpus(SweepSpec spec, string? corpus)
    {
        if (corpus is null) return spec;
        if (CorpusRecipeOptions.IsSource(corpus))
        {
            return spec with { Corpus = spec.Corpus ?? NamedAfter(corpus, CorpusRecipeOptions.NameOf(corpus)), CorpusRecipe = new CorpusRecipe { Source = Path.GetFullPath(corpus) } };
        }
        if (!File.Exists(corpus))
        {
            // A corpus name has no folder in it: a value with one was meant as a path, so say the path is missing.
            if (corpus.Contains('/') || corpus.Contains(Path.DirectorySeparatorChar)) throw new ValidationException("--corpus", $"no such file or folder: {corpus}");
            return spec with { Corpus = corpus };
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(corpus));
        }
        catch (DecoderFallbackException)
        {
            throw new ValidationException("--corpus", $"{corpus} is not UTF-8 text");
        }
        // Said here, with the file's path: the spec's own check can only name its field (corpusText).
        if (text.Length == 0) throw new ValidationException("--corpus", $"{corpus} is empty: a corpus needs text to train on");
        return spec with { Corpus = NamedAfter(corpus, Path.GetFileNameWithoutExtension(corpus)), CorpusText = text };
    }

    /// <summary>
    /// <paramref name="name"/>, the corpus name taken from the file or folder <paramref name="path"/>; refused here when
    /// it is no corpus name, so the error names the file the user gave rather than the spec's corpus field (and the
    /// default sweep name made from it).
    /// </summary>
    private static string NamedAfter(string path, string name) => SpecResolver.CorpusName().IsMatch(name) ? name
        : throw new ValidationException("--corpus", $"{path}: a corpus is named after its file or folder, here '{name}', and a corpus name is " +
            "1-100 letters, digits, '.', '_' or '-', starting with a letter or digit: rename it");

    public static void ApplyDataDir(string? dataDir)
    {
        if (dataDir is null) return;
        if (!Directory.Exists(dataDir)) throw new ValidationException("--data-dir", $"no such folder: {dataDir}");
        Environment.SetEnvironmentVariable(CorpusOptions.DataDirVariable, Path.GetFullPath(dataDir));
    }

    /// <summary>Runs a command body, turning a <see cref="CommandFailedException"/> into its message and exit code 1 (bad
    /// input, a <see cref="ValidationException"/>, goes on to CliRoot, which names the options the user typed).</summary>
    public static async Task<int> Guard(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (CommandFailedException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// The spec fields that options of <c>sweep</c> and <c>submit</c> set, most specific first: an error in one the
    /// user typed the option for names the option as well as the field (<c>--hidden-sizes (hiddenSizes[1])</c>), since
    /// the person at the command line typed the option, and the field is what a <c>--spec</c> file or the API calls it.
    /// </summary>
    private static readonly (string Field, string Option)[] OptionsOfFields =
    [
        ("corpusRecipe.include", "--include"), ("corpusRecipe.exclude", "--exclude"), ("corpusRecipe.separator", "--separator"),
        ("corpusRecipe.maxBytes", "--corpus-max-bytes"), ("corpusRecipe.seed", "--corpus-seed"), ("corpusRecipe.source", "--corpus"),
        ("corpusText", "--corpus"), ("corpus", "--corpus"), ("models", "--models"), ("layers", "--layers"),
        ("hiddenSizes", "--hidden-sizes"), ("seeds", "--seeds"), ("axes", "--axis"), ("hyperparameters.maxEpochs", "--max-epochs"),
        ("maxEpochs", "--max-epochs"), ("preset", "--preset"), ("name", "--name"),
    ];

    /// <summary>
    /// What an error line calls <paramref name="field"/>: the option that sets it and the field, when the user typed
    /// that option (one of <paramref name="typed"/>, e.g. "--hidden-sizes"); otherwise the field alone, as a value from
    /// a <c>--spec</c> file, a preset or a default is not the option's doing.
    /// </summary>
    public static string Named(string field, IReadOnlySet<string> typed) =>
        field.StartsWith("--", StringComparison.Ordinal) ? field
        : OptionsOfFields.FirstOrDefault(f => field == f.Field || field.StartsWith(f.Field + ".", StringComparison.Ordinal) || field.StartsWith(f.Field + "[", StringComparison.Ordinal)) is { Option: { } option }
          && typed.Contains(option)
            ? $"{option} ({field})"
            : field;

    /// <summary>One line on stderr per error: "error: FIELD: MESSAGE", the field named as <see cref="Named"/> does.</summary>
    public static void WriteErrors(IEnumerable<FieldError> errors, IReadOnlySet<string> typed)
    {
        foreach (var error in errors) Console.Error.WriteLine($"error: {Named(error.Field, typed)}: {error.Message}");
    }
}
