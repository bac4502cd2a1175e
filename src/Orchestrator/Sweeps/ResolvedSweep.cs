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
    string Queue)
{
    /// <summary>The grid cells in the paper's column order (model, then layers), rows by hidden size.</summary>
    public IEnumerable<(ModelType Model, int Layers, int Hidden)> Cells() =>
        from model in Models from layers in Layers from hidden in HiddenSizes select (model, layers, hidden);
}
