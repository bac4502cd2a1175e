using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>
/// Why a run has no analysis (gate saturation, cell activations, interpretable units) and whether one is coming: one
/// text for the run page's sections and the API's 404 answers, so a client can tell "not yet" from "never".
/// </summary>
public static class MissingAnalysis
{
    /// <summary>What is said of a cancelled run: it is never analysed unless resumed.</summary>
    public const string Cancelled = "Not analysed: the run was cancelled (resuming it trains and then analyses it).";

    /// <param name="run">The run without an analysis.</param>
    /// <param name="givenUp">Its analysis work when the dispatcher gave it up (<see cref="GivenUpWork"/>), else null.</param>
    public static string Describe(Run run, GivenUpWork? givenUp) =>
        givenUp is not null ? givenUp.Describe("This run's analysis")
        : run.Status == RunStatus.Cancelled ? Cancelled
        : RunStatus.IsFinal(run.Status) && run.TestLoss is null ? "Not analysed: training ended without test losses (only a run whose best checkpoint was evaluated is analysed)."
        : RunStatus.IsFinal(run.Status) ? "Not analysed yet: its analysis job waits for a Worker or is running (the Hangfire dashboard shows which)."
        : "Not analysed yet (after training ends).";

    /// <summary>What the sweep page and the API say of an n-gram baseline not stored: not yet, or given up.</summary>
    public static string DescribeNGram(GivenUpWork? givenUp) =>
        givenUp?.Describe("The n-gram baseline") ?? "The n-gram baseline is not computed yet (a Worker computes it once per sweep).";
}
