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

    public void Print()
    {
        Console.Out.WriteLine(LinePrefix + JsonSerializer.Serialize(this, Shared.Json.JsonContract.Options));
        Console.Out.Flush();
    }
}
