using System.Text.Json;
using System.Text.Json.Nodes;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Tests.Sweeps;

public sealed class SpecResolverTests
{
    [Fact]
    public void Resolve_AppliesPresetThenOverrides_FieldByField()
    {
        var sweep = SpecResolver.Resolve(new SweepSpec
        {
            Preset = "paper", Corpus = "tinyshakespeare", Layers = [2],
            Hyperparameters = JsonNode.Parse("""{"learningRate": 0.001}""")!.AsObject(),
        });
        Assert.Equal([ModelType.Lstm, ModelType.Rnn, ModelType.Gru], sweep.Models);
        Assert.Equal([2], sweep.Layers);
        Assert.Equal([64, 128, 256, 512], sweep.HiddenSizes);
        Assert.Equal(0.001, sweep.Hyperparameters.LearningRate);
        Assert.Equal("rmsprop", sweep.Hyperparameters.Optimizer); // from the preset
        Assert.Equal(0.8, sweep.Hyperparameters.TrainFraction);
        Assert.Equal(12, sweep.Cells().Count());
    }

    [Fact]
    public void Resolve_PaperPreset_IsTheFullThirtySixCellGrid()
    {
        var sweep = SpecResolver.Resolve(new SweepSpec { Preset = "paper" });
        Assert.Equal(36, sweep.Cells().Distinct().Count());
        Assert.Equal("warandpeace-paper", sweep.Corpus);                   // the paper's file: its losses are per byte of it
        Assert.Equal("streams", sweep.Hyperparameters.SplitLayout); // char-rnn's loader, as the paper trained
        // char-rnn's clipping (by value, on the gradient summed over time steps) and initialisation.
        Assert.Equal(("value", "sum"), (sweep.Hyperparameters.GradClipMode, sweep.Hyperparameters.GradClipScale));
        Assert.Equal(("uniform", 0.08), (sweep.Hyperparameters.Init, sweep.Hyperparameters.InitRange));
    }

    /// <summary>
    /// The paper's rows are parameter budgets: at the 64 row of its file (87 byte values) the 2- and 3-layer LSTMs get 45
    /// and 37 units, not 64. Unticking matchParameters drops the budget across layers with it, and a sweep stored
    /// before matchLayers existed reads back with rows by hidden size, keeping its identity (the field is not written).
    /// </summary>
    [Fact]
    public void Resolve_PaperPreset_HoldsEveryNumberOfLayersToTheRowsBudget()
    {
        var paper = SpecResolver.Resolve(new SweepSpec { Preset = "paper" });
        Assert.True(paper.MatchLayers);
        Assert.Equal([64, 45, 37], new[] { 1, 2, 3 }.Select(l => paper.HiddenOf(ModelType.Lstm, l, 64, 87)));
        Assert.Equal([77, 53, 44], new[] { 1, 2, 3 }.Select(l => paper.HiddenOf(ModelType.Gru, l, 64, 87)));

        var bySize = SpecResolver.Resolve(new SweepSpec { Preset = "paper", MatchLayers = false });
        Assert.Equal([64, 64, 64], new[] { 1, 2, 3 }.Select(l => bySize.HiddenOf(ModelType.Lstm, l, 64, 87)));
        Assert.Equal(75, bySize.HiddenOf(ModelType.Gru, 3, 64, 87)); // matched across model types only
        Assert.False(SpecResolver.Resolve(new SweepSpec { Preset = "paper", MatchParameters = false }).MatchLayers);

        var stored = JsonSerializer.Serialize(bySize, SpecResolver.Json);
        Assert.DoesNotContain("matchLayers", stored, StringComparison.OrdinalIgnoreCase);
        Assert.False(JsonSerializer.Deserialize<ResolvedSweep>(stored, SpecResolver.Json)!.MatchLayers);
        Assert.Contains("matchLayers", JsonSerializer.Serialize(paper, SpecResolver.Json), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void SpecDoc_DescribesEveryHyperparameterWithItsDefault_AndEveryPreset()
    {
        var doc = File.ReadAllText(Path.Combine(Support.TestPaths.RepoRoot, "docs", "spec.md"));
        var defaults = JsonSerializer.SerializeToElement(new Hyperparameters(), SpecResolver.Json);
        foreach (var field in defaults.EnumerateObject())
        {
            var value = field.Value.ValueKind switch
            {
                JsonValueKind.String => $"`{field.Value.GetString()}`",
                JsonValueKind.True or JsonValueKind.False => $"`{field.Value.GetRawText()}`",
                JsonValueKind.Null => "none",
                _ => field.Value.GetDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            Assert.Contains($"| `{field.Name}` | {value} |", doc, StringComparison.Ordinal);
        }
        foreach (var preset in Presets.Names) Assert.Contains($"| `{preset}` |", doc, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"models":["lstm","transformer"],"layers":[1],"hiddenSizes":[8]}""", "models[1]")]
    [InlineData("""{"models":["lstm"],"layers":[0],"hiddenSizes":[8]}""", "layers[0]")]
    [InlineData("""{"models":["lstm"],"layers":[100],"hiddenSizes":[8]}""", "layers[0]")]
    [InlineData("""{"models":["lstm"],"layers":[1],"hiddenSizes":[0]}""", "hiddenSizes[0]")]
    [InlineData("""{"models":["lstm"],"layers":[1],"hiddenSizes":[1000000]}""", "hiddenSizes[0]")]
    [InlineData("""{"models":["lstm"],"layers":[1],"hiddenSizes":[8],"hyperparameters":{"learningRate":-1}}""", "hyperparameters.learningRate")]
    [InlineData("""{"models":["lstm"],"layers":[1],"hiddenSizes":[8],"hyperparameters":{"learningSpeed":0.1}}""", "hyperparameters.learningSpeed")]
    [InlineData("""{"models":["lstm"],"layers":[1],"hiddenSizes":[8],"hyperparameters":{"dropout":"lots"}}""", "hyperparameters.dropout")]
    [InlineData("""{"models":["lstm"],"layers":[1],"hiddenSizes":[8],"hyperparameters":{"trainFraction":0.5}}""", "hyperparameters.trainFraction")]
    [InlineData("""{"models":["lstm"],"layers":[1],"hiddenSizes":[8],"hyperparameters":{"precision":"float16"}}""", "hyperparameters.precision")]
    [InlineData("""{"models":["lstm"],"layers":[1],"hiddenSizes":[8],"queue":"GPU!"}""", "queue")]
    [InlineData("""{"models":[],"layers":[1],"hiddenSizes":[8]}""", "models")]
    [InlineData("""{"preset":"nonsense"}""", "preset")]
    [InlineData("""{"models":["lstm"],"layers":[1],"hiddenSizes":[8],"matchLayers":true}""", "matchLayers")]
    [InlineData("""{"preset":"paper","matchParameters":false,"matchLayers":true}""", "matchLayers")]
    public void Resolve_NamesTheField_WhenInputIsBad(string json, string field)
    {
        var spec = JsonSerializer.Deserialize<SweepSpec>(json, SpecResolver.Json)! with { Corpus = "c", CorpusText = "text" };
        var error = Assert.Throws<ValidationException>(() => SpecResolver.Resolve(spec));
        Assert.Contains(error.Errors, e => e.Field == field);
    }

    [Fact]
    public void Resolve_ReportsEveryProblem_NotOnlyTheFirst()
    {
        var error = Assert.Throws<ValidationException>(() => SpecResolver.Resolve(new SweepSpec { Corpus = "c", Models = ["x"], Layers = [0], HiddenSizes = [0] }));
        Assert.Equal(["hiddenSizes[0]", "layers[0]", "models[0]"], error.Errors.Select(e => e.Field).Order());
    }
}
