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
    /// <summary>The grid cells in the paper's column order (model, then layers); Size is the row (hidden size asked for).</summary>
    public IEnumerable<(ModelType Model, int Layers, int Size)> Cells() =>
        from model in Models from layers in Layers from size in HiddenSizes select (model, layers, size);

    /// <summary>The hidden size a cell trains with: its row's size, or the size matching the LSTM's parameter count.</summary>
    public int HiddenOf(ModelType model, int layers, int size, int vocabularySize) =>
        MatchParameters ? ModelSize.MatchHidden(model, layers, size, vocabularySize, Hyperparameters.IsOneHot) : size;
}
