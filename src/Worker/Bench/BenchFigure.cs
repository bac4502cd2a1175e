using System.Text.Json;

namespace RnnSweep.Worker.Bench;

/// <summary>
/// One measured figure. The Worker's bench prints each as a line <c>BENCH {json}</c> on stdout, which the
/// Orchestrator's <c>rnnsweep bench</c> reads (it runs this process for everything that needs TorchSharp).
/// </summary>
/// <param name="Met">Whether the goal is met; null when the figure has no goal of its own.</param>
public sealed record BenchFigure(string Section, string Item, double Value, string Unit, string Goal, bool? Met, string How)
{
    public const string LinePrefix = "BENCH ";

    /// <summary>
    /// For the bfloat16 training figures: on a processor without native bfloat16, prints one row that says why
    /// <paramref name="item"/> was left out, instead of minutes of emulated products, and returns true.
    /// Called after the part has checked its arguments, so a bad flag is still an error on every machine.
    /// </summary>
    public static bool SkipWithoutBFloat16(string section, string item)
    {
        var processor = Processor.Read();
        if (processor.NativeBFloat16) return false;
        new BenchFigure(section, item, double.NaN, "", "", null, $"not measured: {processor.NoBFloat16}").Print();
        return true;
    }

    public void Print()
    {
        Console.Out.WriteLine(LinePrefix + JsonSerializer.Serialize(this, Shared.Json.JsonContract.Options));
        Console.Out.Flush();
    }
}
