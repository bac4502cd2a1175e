using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>Applies the preset to a <see cref="SweepSpec"/> and validates every field, collecting all problems at once.</summary>
public static partial class SpecResolver
{
    public const int MaxLayers = 8;
    public const int MaxHidden = 8192;
    /// <summary>Most runs a sweep may have: cells x seeds x the values of every axis.</summary>
    public const int MaxCells = 100_000;
    public const int MaxNameLength = 200;
    /// <summary>Most entries a list may have (duplicates count): models 3, layers 8, hidden sizes 64.</summary>
    public const int MaxModelEntries = 3;
    public const int MaxHiddenEntries = 64;

    /// <summary>The project's one JSON contract (<see cref="Shared.Json.JsonContract"/>), by the name spec code knows it.</summary>
    public static JsonSerializerOptions Json => Shared.Json.JsonContract.Options;

    // Every name pattern ends in \z, not $: '$' also matches before a final line break, so 'cpu\n' was a queue name.
    // A letter first: a queue's short jobs are on "0-" + its name (JobQueues), which sorts before every such name
    // under any collation, so Workers take them first; a name starting with a digit could sort before its own "0-" queue.
    [GeneratedRegex(@"^[a-z][a-z0-9_-]{0,49}\z")]
    private static partial Regex QueueName();

    /// <summary>Sweep names: letters, digits, spaces and a little punctuation, so a name is safe in a page, a shell and a job title.</summary>
    [GeneratedRegex(@"^[\p{L}\p{N}][\p{L}\p{N} ._+()-]{0,199}\z")]
    public static partial Regex SweepName();

    /// <summary>Corpus names double as file names in the data directory: no paths, no hidden files.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\z")]
    public static partial Regex CorpusName();

    public static ResolvedSweep Resolve(SweepSpec spec)
    {
        var errors = new List<FieldError>();
        Presets.Preset? preset = null;
        if (spec.Preset is not null)
        {
            preset = Presets.Find(spec.Preset);
            // Alone: every field the preset would have given is missing too, and saying so buries the one mistake.
            if (preset is null) throw new ValidationException("preset", Presets.Unknown(spec.Preset));
        }

        var corpus = spec.Corpus ?? preset?.Corpus;
        if (string.IsNullOrWhiteSpace(corpus)) errors.Add(new("corpus", "is required: a corpus name, or a name with corpusText"));
        else if (!CorpusName().IsMatch(corpus)) errors.Add(new("corpus", "must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit"));
        if (spec.CorpusText is not null && spec.CorpusText.Length == 0) errors.Add(new("corpusText", "is empty"));
        if (spec.CorpusRecipe is { } recipe)
        {
            if (spec.CorpusText is not null) errors.Add(new("corpusRecipe", "and corpusText are two corpora: give one"));
            errors.AddRange(recipe.Validate("corpusRecipe"));
        }

        var models = new List<ModelType>();
        var modelNames = spec.Models ?? preset?.Models;
        if (modelNames is null || modelNames.Length == 0) errors.Add(new("models", "is required: one or more of lstm, gru, rnn"));
        else if (modelNames.Length > MaxModelEntries) errors.Add(new("models", $"has {modelNames.Length} entries; at most {MaxModelEntries} (lstm, gru, rnn)"));
        else
        {
            for (var i = 0; i < modelNames.Length; i++)
            {
                if (ModelTypeNames.TryParse(modelNames[i], out var m)) { if (!models.Contains(m)) models.Add(m); }
                else errors.Add(new($"models[{i}]", $"unknown model type '{modelNames[i]}' (expected lstm, gru or rnn)"));
            }
        }

        var layers = CheckSizes(spec.Layers ?? preset?.Layers, "layers", 1, MaxLayers, MaxLayers, errors);
        var hidden = CheckSizes(spec.HiddenSizes ?? preset?.HiddenSizes, "hiddenSizes", 1, MaxHidden, MaxHiddenEntries, errors);

        var hyperparameters = MergeHyperparameters(preset?.Hyperparameters ?? new Hyperparameters(), spec.Hyperparameters, errors);
        if (hyperparameters is not null) errors.AddRange(hyperparameters.Validate());
        var seeds = SweepAxes.ResolveSeeds(spec.Seeds, spec.Hyperparameters, errors);
        var axes = spec.Axes is not null ? SweepAxes.ResolveAxes(spec.Axes, hyperparameters ?? new Hyperparameters(), spec.Hyperparameters, errors)
            : spec.Preset is not null && spec.Hyperparameters?.ContainsKey("dropout") != true ? preset?.Axes : null;

        var queue = spec.Queue ?? "cpu";
        if (!QueueName().IsMatch(queue)) errors.Add(new("queue", $"'{queue}' is not a queue name: a lowercase letter, then lowercase letters, digits, '-' and '_', at most 50 in all"));

        var name = spec.Name ?? $"{spec.Preset ?? "custom"}-{corpus}";
        if (!SweepName().IsMatch(name)) errors.Add(new("name", $"must be 1-{MaxNameLength} letters, digits, spaces and . _ + ( ) -, starting with a letter or digit"));

        var matchParameters = spec.MatchParameters ?? preset?.MatchParameters ?? false;
        var matchLayers = spec.MatchLayers ?? (matchParameters && (preset?.MatchLayers ?? false));
        if (matchLayers && !matchParameters) errors.Add(new("matchLayers", "needs matchParameters: true (the row's budget is the parameter count of its one-layer LSTM)"));

        var cellCount = (long)models.Count * layers.Count * hidden.Count;
        var runCount = SweepAxes.RunCount(cellCount, axes, seeds);
        if (cellCount > MaxCells) errors.Add(new("models", $"the grid has {cellCount} cells; at most {MaxCells} are allowed"));
        else if (runCount > MaxCells)
        {
            errors.Add(new(axes is { Count: > 0 } ? "axes" : "seeds",
                $"the sweep has {runCount} runs ({cellCount} cells x {seeds?.Count ?? 1} seeds{string.Concat((axes ?? []).Select(a => $" x {a.Values.Length} {a.Name}"))}); at most {MaxCells} are allowed"));
        }
        else if (errors.Count == 0) SweepAxes.CheckCombinations(hyperparameters!, axes, errors);

        if (errors.Count > 0) throw new ValidationException(errors);
        return new ResolvedSweep(name, corpus!.Trim(), spec.CorpusText, models, layers, hidden, hyperparameters!, queue,
            matchParameters, spec.CorpusRecipe) { MatchLayers = matchLayers, Seeds = seeds, Axes = axes is { Count: > 0 } ? axes : null };
    }

    private static List<int> CheckSizes(int[]? values, string field, int min, int max, int maxEntries, List<FieldError> errors)
    {
        var result = new List<int>();
        if (values is null || values.Length == 0)
        {
            errors.Add(new(field, "is required: one or more whole numbers"));
            return result;
        }
        if (values.Length > maxEntries)
        {
            errors.Add(new(field, $"has {values.Length} entries; at most {maxEntries}"));
            return result;
        }
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] < min || values[i] > max) errors.Add(new($"{field}[{i}]", $"must be between {min} and {max}, not {values[i]}"));
            else if (!result.Contains(values[i])) result.Add(values[i]);
        }
        result.Sort();
        return result;
    }

    /// <summary>
    /// Whether <paramref name="name"/> is a hyperparameter's JSON name. Why not the preset's serialized fields: a field
    /// left out of the JSON when unset (<c>precision</c>) is a hyperparameter all the same.
    /// </summary>
    internal static bool IsHyperparameter(string name) => Json.GetTypeInfo(typeof(Hyperparameters)).Properties.Any(p => p.Name == name);

    /// <summary>Overlays the user's hyperparameter fields onto the preset's, rejecting unknown fields by name.</summary>
    private static Hyperparameters? MergeHyperparameters(Hyperparameters basis, JsonObject? overrides, List<FieldError> errors)
    {
        if (overrides is null) return basis;
        // A JsonObject read from JSON that holds a field twice throws when enumerated: find duplicates on the raw text.
        using (var raw = JsonDocument.Parse(overrides.ToJsonString()))
        {
            var duplicates = raw.RootElement.EnumerateObject().GroupBy(p => p.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            if (duplicates.Count > 0)
            {
                errors.AddRange(duplicates.Select(d => new FieldError($"hyperparameters.{d}", "is given more than once")));
                return null;
            }
        }
        var merged = JsonSerializer.SerializeToNode(basis, Json)!.AsObject();
        foreach (var (key, value) in overrides)
        {
            if (!IsHyperparameter(key))
            {
                errors.Add(new($"hyperparameters.{key}", "is not a hyperparameter"));
                continue;
            }
            merged[key] = value?.DeepClone();
        }
        try
        {
            return merged.Deserialize<Hyperparameters>(Json);
        }
        catch (JsonException e)
        {
            errors.Add(new(e.Path is { Length: > 2 } p ? $"hyperparameters.{p[2..]}" : "hyperparameters", "has the wrong type: it " + Shared.Json.JsonContract.Describe(e)));
            return null;
        }
    }
}
