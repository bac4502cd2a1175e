using System.Globalization;
using System.Text.Json;

namespace RnnSweep.Orchestrator.Bench;

/// <summary>One measured figure of <c>rnnsweep bench</c>; the Worker's bench prints the same shape as <c>BENCH {json}</c> lines.</summary>
/// <param name="Met">Whether the goal is met; null when the figure has no goal of its own.</param>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip)] // a newer Worker's extra fields
public sealed record BenchRow(string Section, string Item, double Value, string Unit, string Goal, bool? Met, string How)
{
    public const string LinePrefix = "BENCH ";

    public static BenchRow? Parse(string line) =>
        line.StartsWith(LinePrefix, StringComparison.Ordinal) ? JsonSerializer.Deserialize<BenchRow>(line[LinePrefix.Length..], Shared.Json.JsonContract.Options) : null;

    public string FormattedValue => Unit switch
    {
        _ when double.IsNaN(Value) => "not measured",
        "fraction" => Value.ToString("P1", CultureInfo.InvariantCulture),
        "ratio" or "x slower" => Value.ToString("0.000", CultureInfo.InvariantCulture) + (Unit == "ratio" ? "" : " x"),
        _ when Math.Abs(Value) >= 1000 => Value.ToString("N0", CultureInfo.InvariantCulture) + " " + Unit,
        _ => Value.ToString("0.###", CultureInfo.InvariantCulture) + " " + Unit,
    };
}
