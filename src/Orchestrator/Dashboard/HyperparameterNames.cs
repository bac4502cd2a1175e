using System.Globalization;
using System.Text.Json;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// The run page's names for the hyperparameters (Shared.Domain.Hyperparameters, stored as JSON with camelCase
/// names): words a reader knows, and the unit each value is in. A name not listed here (a field added later) is
/// shown as its words ("fooBar" as "foo bar"), so nothing stored is hidden.
/// </summary>
public static class HyperparameterNames
{
    /// <summary>JSON name -> (label, unit appended to the value, or "" for none).</summary>
    private static readonly Dictionary<string, (string Label, string Unit)> Known = new()
    {
        ["optimizer"] = ("optimizer", ""),
        ["learningRate"] = ("learning rate", "per step"),
        ["rmspropAlpha"] = ("RMSProp decay α", ""),
        ["lrDecay"] = ("learning-rate decay", "× per decay"),
        ["lrDecayStart"] = ("decay from epoch", ""),
        ["lrDecayEvery"] = ("decay every", "epochs"),
        ["gradClip"] = ("gradient clipping at", "(0: off)"),
        ["gradClipMode"] = ("gradient clipping by", ""),
        ["gradClipScale"] = ("clipped gradient of the loss's", ""),
        ["init"] = ("initial weights", ""),
        ["initRange"] = ("uniform initialisation bound", "±"),
        ["dropout"] = ("dropout probability", ""),
        ["seqLength"] = ("sequence length", "characters"),
        ["batchSize"] = ("batch size", "sequences"),
        ["carryState"] = ("state carried across batches", ""),
        ["input"] = ("input encoding", ""),
        ["vocabulary"] = ("vocabulary of", ""),
        ["maxEpochs"] = ("max epochs", "epochs"),
        ["epochChars"] = ("epoch length", "characters"),
        ["patience"] = ("early-stopping patience", "epochs"),
        ["minImprovement"] = ("min validation improvement", "nats per symbol"),
        ["divergenceFactor"] = ("diverged above", "× the first batch's loss"),
        ["divergenceRetries"] = ("retries after divergence", "(learning rate halved each)"),
        ["splitLayout"] = ("split layout", ""),
        ["trainFraction"] = ("train split", "of the corpus"),
        ["valFraction"] = ("validation split", "of the corpus"),
        ["testFraction"] = ("test split", "of the corpus"),
        ["precision"] = ("training step in", ""),
        ["seed"] = ("random seed", ""),
    };

    /// <summary>
    /// Every stored hyperparameter as (JSON name, label, value with its unit), in the order listed here (optimizer
    /// first, seed last; PostgreSQL's jsonb keeps keys in its own order), names not listed after them.
    /// </summary>
    /// <remarks>A setting the run's other settings make moot is left out: RMSProp's decay for another optimizer, the
    /// uniform bound for another initialisation.</remarks>
    public static IReadOnlyList<(string Name, string Label, string Value)> Describe(string hyperparametersJson)
    {
        using var doc = JsonDocument.Parse(hyperparametersJson);
        var order = Known.Keys.ToList();
        string? TextOf(string name) => doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var moot = new HashSet<string>(StringComparer.Ordinal);
        if (TextOf("optimizer") is { } optimizer && optimizer != Shared.Domain.Optimizers.RmsProp) moot.Add("rmspropAlpha");
        if (TextOf("init") is { } init && init != Shared.Domain.WeightInits.Uniform) moot.Add("initRange");
        return doc.RootElement.EnumerateObject()
            .Where(p => !moot.Contains(p.Name))
            .OrderBy(p => order.IndexOf(p.Name) is var i and >= 0 ? i : order.Count).ThenBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => (p.Name, LabelOf(p.Name), ValueOf(p.Name, p.Value))).ToList();
    }

    public static string LabelOf(string name) => Known.TryGetValue(name, out var k) ? k.Label : Words(name);

    private static string ValueOf(string name, JsonElement value)
    {
        var unit = Known.TryGetValue(name, out var k) ? k.Unit : "";
        var text = value.ValueKind switch
        {
            JsonValueKind.Null when name == "epochChars" => "the whole train split",
            JsonValueKind.Null => "none",
            JsonValueKind.True => "yes",
            JsonValueKind.False => "no",
            JsonValueKind.Number when name.EndsWith("Fraction", StringComparison.Ordinal) => (value.GetDouble() * 100).ToString("0.##", CultureInfo.InvariantCulture) + " %",
            JsonValueKind.Number when value.TryGetInt64(out var n) && Math.Abs(n) >= 10_000 && name != "seed" => n.ToString("N0", CultureInfo.InvariantCulture),
            JsonValueKind.Number => value.GetDouble().ToString("0.######", CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
        if (value.ValueKind is JsonValueKind.Null or JsonValueKind.True or JsonValueKind.False || name.EndsWith("Fraction", StringComparison.Ordinal) || unit.Length == 0) return text;
        if (unit == "epochs" && text == "1") unit = "epoch"; // "1 epoch", not "1 epochs"
        return unit == "±" ? "±" + text : $"{text} {unit}";
    }

    private static string Words(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? " " + char.ToLowerInvariant(c) : c.ToString()));
}
