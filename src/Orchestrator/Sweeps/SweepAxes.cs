using System.Text.Json;
using System.Text.Json.Nodes;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>
/// One extra grid axis: a hyperparameter by its JSON name (<c>dropout</c>, <c>learningRate</c>, ...) and the values it
/// takes, each as the hyperparameter record writes it, without duplicates, in increasing order.
/// </summary>
public sealed record SweepAxis(string Name, JsonNode?[] Values);

/// <summary>
/// A run's place beyond its cell: its seed, its axis values (a JSON object, keys in ordinal order, <c>{}</c> without
/// axes) and the hyperparameters it trains with (the sweep's, with those values and that seed).
/// </summary>
public sealed record RunVariant(long Seed, string AxesJson, Hyperparameters Hyperparameters);

/// <summary>
/// Validates a spec's <c>seeds</c> and <c>axes</c> into canonical form: axes sorted by name and values sorted and
/// deduplicated, so the same grid written in another order is the same sweep (its identity hash is equal).
/// </summary>
public static class SweepAxes
{
    public const int MaxAxes = 8;
    public const int MaxValuesPerAxis = 64;
    public const int MaxSeeds = 64;
    /// <summary>Most combinations reported as invalid in one answer; the rest are summarised by a count.</summary>
    private const int MaxCombinationErrors = 5;

    /// <summary>Seeds sorted and deduplicated; null when the spec gives none (the run seed is <c>hyperparameters.seed</c>).</summary>
    public static IReadOnlyList<long>? ResolveSeeds(long[]? seeds, JsonObject? overrides, List<FieldError> errors)
    {
        if (seeds is null) return null;
        if (seeds.Length == 0) errors.Add(new("seeds", "is empty: give one or more seeds, or leave it out"));
        else if (seeds.Length > MaxSeeds) errors.Add(new("seeds", $"has {seeds.Length} entries; at most {MaxSeeds}"));
        for (var i = 0; i < Math.Min(seeds.Length, MaxSeeds); i++)
        {
            if (seeds[i] < 0) errors.Add(new($"seeds[{i}]", $"must be 0 or more, not {seeds[i]}"));
        }
        if (overrides?.ContainsKey("seed") == true) errors.Add(new("hyperparameters.seed", "is given as well as seeds: give the seeds in one place"));
        return seeds.Length is 0 or > MaxSeeds ? null : [.. seeds.Distinct().Order()];
    }

    /// <summary>The axes by name, each value checked as that hyperparameter of <paramref name="basis"/>; null when none.</summary>
    public static IReadOnlyList<SweepAxis>? ResolveAxes(JsonObject? axes, Hyperparameters basis, JsonObject? overrides, List<FieldError> errors)
    {
        if (axes is null) return null;
        var names = RawNames(axes);
        if (names.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToList() is { Count: > 0 } twice)
        {
            errors.AddRange(twice.Select(n => new FieldError($"axes.{n}", "is given more than once")));
            return null;
        }
        if (names.Count == 0)
        {
            errors.Add(new("axes", "is empty: give one or more hyperparameters with their values, e.g. {\"dropout\": [0, 0.25, 0.5]}, or leave it out"));
            return null;
        }
        if (names.Count > MaxAxes)
        {
            errors.Add(new("axes", $"has {names.Count} axes; at most {MaxAxes}"));
            return null;
        }
        var result = new List<SweepAxis>();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            var field = $"axes.{name}";
            if (name == "seed") { errors.Add(new(field, "is not an axis: give several seeds as seeds: [..]")); continue; }
            if (!SpecResolver.IsHyperparameter(name)) { errors.Add(new(field, "is not a hyperparameter")); continue; }
            if (overrides?.ContainsKey(name) == true) { errors.Add(new(field, $"is also set in hyperparameters.{name}: give it in one place")); continue; }
            if (axes[name] is not JsonArray values || values.Count == 0)
            {
                errors.Add(new(field, "must be a non-empty list of values, e.g. [0, 0.25, 0.5]"));
                continue;
            }
            if (values.Count > MaxValuesPerAxis) { errors.Add(new(field, $"has {values.Count} values; at most {MaxValuesPerAxis}")); continue; }
            var canonical = new List<JsonNode?>();
            for (var i = 0; i < values.Count; i++)
            {
                var hp = Apply(basis, [(name, values[i])], out var typeError);
                if (hp is null)
                {
                    errors.Add(new($"{field}[{i}]", $"has the wrong type for {name}: it {typeError}"));
                    continue;
                }
                // Errors of this field alone; the fractions' sum is a combination's (checked by CheckCombinations).
                var problems = hp.Validate().Where(e => e.Field == $"hyperparameters.{name}" && !e.Message.StartsWith("trainFraction + ", StringComparison.Ordinal)).ToList();
                if (problems.Count > 0) { errors.AddRange(problems.Select(p => new FieldError($"{field}[{i}]", p.Message))); continue; }
                canonical.Add(Fields(hp)[name]?.DeepClone());
            }
            var distinct = canonical.DistinctBy(v => v?.ToJsonString() ?? "null").ToList();
            distinct.Sort(Compare);
            result.Add(new SweepAxis(name, [.. distinct]));
        }
        return result;
    }

    /// <summary>
    /// Every combination of axis values and seed, in a fixed order (axes by name, values increasing, then seeds);
    /// the sweep's own seed when it gives no seeds.
    /// </summary>
    public static IEnumerable<RunVariant> Variants(Hyperparameters basis, IReadOnlyList<SweepAxis>? axes, IReadOnlyList<long>? seeds)
    {
        IEnumerable<(string Name, JsonNode? Value)[]> combinations = [[]];
        foreach (var axis in axes ?? [])
        {
            var a = axis;
            combinations = combinations.SelectMany(c => a.Values.Select(v => (IEnumerable<(string, JsonNode?)>)[.. c, (a.Name, v)]).Select(x => x.ToArray()));
        }
        foreach (var combination in combinations)
        {
            var hp = combination.Length == 0 ? basis : Apply(basis, combination, out _)!;
            var axesJson = new JsonObject(combination.Select(c => KeyValuePair.Create(c.Name, c.Value?.DeepClone()))).ToJsonString();
            foreach (var seed in seeds ?? [basis.Seed]) yield return new RunVariant(seed, axesJson, hp with { Seed = seed });
        }
    }

    /// <summary>How many runs: cells x seeds x the values of every axis (saturating, so a huge product cannot overflow).</summary>
    public static long RunCount(long cells, IReadOnlyList<SweepAxis>? axes, IReadOnlyList<long>? seeds)
    {
        var count = (double)cells * (seeds?.Count ?? 1);
        foreach (var axis in axes ?? []) count *= axis.Values.Length;
        return count > long.MaxValue / 2 ? long.MaxValue / 2 : (long)count;
    }

    /// <summary>Combinations whose hyperparameters are invalid together (e.g. fractions that no longer add up to 1).</summary>
    public static void CheckCombinations(Hyperparameters basis, IReadOnlyList<SweepAxis>? axes, List<FieldError> errors)
    {
        if (axes is null || axes.Count == 0) return;
        var bad = 0;
        foreach (var variant in Variants(basis, axes, null))
        {
            var problems = variant.Hyperparameters.Validate();
            if (problems.Count == 0) continue;
            if (++bad <= MaxCombinationErrors)
            {
                errors.Add(new("axes", $"the combination {variant.AxesJson} is invalid: {string.Join("; ", problems.Select(p => $"{p.Field} {p.Message}"))}"));
            }
        }
        if (bad > MaxCombinationErrors) errors.Add(new("axes", $"{bad - MaxCombinationErrors} more combinations are invalid"));
    }

    private static Hyperparameters? Apply(Hyperparameters basis, IEnumerable<(string Name, JsonNode? Value)> values, out string? error)
    {
        var merged = Fields(basis);
        foreach (var (name, value) in values) merged[name] = value?.DeepClone();
        try
        {
            error = null;
            return merged.Deserialize<Hyperparameters>(SpecResolver.Json);
        }
        catch (JsonException e)
        {
            error = Shared.Json.JsonContract.Describe(e);
            return null;
        }
    }

    private static JsonObject Fields(Hyperparameters hp) => JsonSerializer.SerializeToNode(hp, SpecResolver.Json)!.AsObject();

    /// <summary>Names as written, duplicates included: a JsonObject read from JSON throws on a duplicate when enumerated.</summary>
    private static List<string> RawNames(JsonObject axes)
    {
        using var raw = JsonDocument.Parse(axes.ToJsonString());
        return raw.RootElement.EnumerateObject().Select(p => p.Name).ToList();
    }

    /// <summary>Numbers by value, then strings and booleans by their JSON text.</summary>
    private static int Compare(JsonNode? a, JsonNode? b)
    {
        var (na, nb) = (Number(a), Number(b));
        if (na is not null && nb is not null) return na.Value.CompareTo(nb.Value);
        if (na is not null) return -1;
        if (nb is not null) return 1;
        return string.CompareOrdinal(a?.ToJsonString(), b?.ToJsonString());
    }

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;
}
