using System.Text.Json;
using RnnSweep.Orchestrator.Dashboard;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Json;

namespace RnnSweep.Orchestrator.Tests.Dashboard;

/// <summary>The run page lists every stored hyperparameter that applies to the run, and none that cannot.</summary>
public sealed class HyperparameterNamesTests
{
    private static string[] Names(Hyperparameters hp) =>
        [.. HyperparameterNames.Describe(JsonSerializer.Serialize(hp, JsonContract.Options)).Select(d => d.Name)];

    [Fact]
    public void AnAdamRun_ShowsNoRmsPropDecay_AndAnRmsPropRunShowsIt()
    {
        Assert.DoesNotContain("rmspropAlpha", Names(new Hyperparameters { Optimizer = Optimizers.Adam }));
        Assert.Contains("rmspropAlpha", Names(new Hyperparameters { Optimizer = Optimizers.RmsProp }));
    }

    [Fact]
    public void TheUniformBound_IsShownForUniformInitialisationOnly()
    {
        Assert.Contains("initRange", Names(new Hyperparameters { Init = WeightInits.Uniform }));
        var other = WeightInits.All.First(i => i != WeightInits.Uniform);
        Assert.DoesNotContain("initRange", Names(new Hyperparameters { Init = other }));
    }

    [Fact]
    public void EverythingElseStored_IsShown_OptimizerFirstSeedLast()
    {
        var names = Names(new Hyperparameters { Optimizer = Optimizers.RmsProp, Init = WeightInits.Uniform });
        using var stored = JsonDocument.Parse(JsonSerializer.Serialize(new Hyperparameters(), JsonContract.Options));
        Assert.Equal(stored.RootElement.EnumerateObject().Select(p => p.Name).Order(), names.Order());
        Assert.Equal("optimizer", names[0]);
        Assert.Equal("seed", names[^1]);
    }
}
