using System.Globalization;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>The few formatting rules every dashboard page shares (the components encode what they write).</summary>
public static class Format
{
    /// <summary>Losses are shown with three decimals everywhere (the paper's precision, and the CLI's).</summary>
    public static string Loss(double? value) => value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "";

    public static string Num(double value, string format = "0.###") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>A count with thousands separators: 140,000.</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A share of 1 as a percentage with one decimal: 0.0625 is "6.3%".</summary>
    public static string Percent(double share) => share.ToString("0.0%", CultureInfo.InvariantCulture);

    public static string Elapsed(TimeSpan span) => span.TotalHours >= 1
        ? $"{(int)span.TotalHours}h {span.Minutes:00}m"
        : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m {span.Seconds:00}s" : $"{span.Seconds}s";

    public static string Layers(int layers) => $"{layers} layer{(layers == 1 ? "" : "s")}";

    /// <summary>A cell's name as the tables and charts show it: "LSTM 2×128".</summary>
    public static string Cell(string model, int layers, int hidden) => $"{model.ToUpperInvariant()} {layers}×{hidden}";

    /// <summary>
    /// The run statuses for the pages' JavaScript, from their one C# type: an object with one key per status (its
    /// value the same word) and <c>final</c>, the list of final ones; so no script spells a status itself.
    /// </summary>
    public static readonly string RunStatusJson = System.Text.Json.JsonSerializer.Serialize(
        new Dictionary<string, object>(RunStatus.All.Select(s => KeyValuePair.Create(s, (object)s))) { ["final"] = RunStatus.All.Where(RunStatus.IsFinal).ToArray() },
        RnnSweep.Shared.Json.JsonContract.Options);

    /// <summary>
    /// A loss table's colour scale as CSS custom properties: <c>--lo</c> its lowest value and <c>--span</c> its range
    /// (1 when all are equal). Each coloured cell carries <c>--v</c>; dashboard.css turns the three into a hue from
    /// green (lowest) to red (highest), so the scale lives in one place and a live update only resends the numbers.
    /// </summary>
    public static string Scale(IEnumerable<double?> values)
    {
        var finite = values.OfType<double>().Where(double.IsFinite).ToList();
        var (lo, hi) = finite.Count > 0 ? (finite.Min(), finite.Max()) : (0, 0);
        return $"--lo:{Num(lo, "0.000")};--span:{Num(hi > lo ? hi - lo : 1, "0.000")}";
    }

    /// <summary>A cell's value for <see cref="Scale"/>, or null when it has none (no colour).</summary>
    public static string? ValueStyle(double? value) => value is { } v && double.IsFinite(v) ? $"--v:{Num(v, "0.000")}" : null;
}
