using System.Text.Json.Serialization;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>A validated sweep: the preset applied, every field checked, ready to store.</summary>
public sealed record ResolvedSweep(
    string Name,
    string Corpus,
    string? CorpusText,
    IReadOnlyList<ModelType> Models,
    IReadOnlyList<int> Layers,
    IReadOnlyList<int> HiddenSizes,
    Hyperparameters Hyperparameters,
    string Queue,
    bool MatchParameters = false,
    Corpora.CorpusRecipe? CorpusRecipe = null)
{
    /// <summary>Every number of layers held to the row's one-layer LSTM's parameter count (<see cref="SweepSpec.MatchLayers"/>). Absent from the stored spec when false, so older sweeps keep their identity.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool MatchLayers { get; init; }

    /// <summary>Seeds, one run per seed and cell (null: one run with <c>Hyperparameters.Seed</c>). Absent from the stored spec when null, so older sweeps keep their identity.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<long>? Seeds { get; init; }

    /// <summary>Extra axes, sorted by name (null: none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<SweepAxis>? Axes { get; init; }

    /// <summary>Every (seed, axis values) combination a cell is trained with; one for a plain grid.</summary>
    public IEnumerable<RunVariant> Variants() => SweepAxes.Variants(Hyperparameters, Axes, Seeds);

    /// <summary>Runs per cell: seeds x axis values.</summary>
    [JsonIgnore]
    public int RunsPerCell => (int)SweepAxes.RunCount(1, Axes, Seeds);

    /// <summary>The grid cells in the paper's column order (model, then layers); Size is the row (hidden size asked for).</summary>
    public IEnumerable<(ModelType Model, int Layers, int Size)> Cells() =>
        from model in Models from layers in Layers from size in HiddenSizes select (model, layers, size);

    /// <summary>The hidden size a cell trains with: its row's size, or the size matching the row's parameter budget.</summary>
    public int HiddenOf(ModelType model, int layers, int size, int vocabularySize, Hyperparameters? hp = null) =>
        MatchParameters ? ModelSize.MatchHidden(model, layers, size, vocabularySize, (hp ?? Hyperparameters).IsOneHot, MatchLayers) : size;
}
