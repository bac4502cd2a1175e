using System.Text.Json.Nodes;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>
/// A sweep as a user writes it (JSON body of <c>POST /api/sweeps</c>, or a spec file for <c>rnnsweep submit</c>).
/// Every field is optional where a preset supplies it: the preset is applied first, then these fields.
/// </summary>
public sealed record SweepSpec
{
    public string? Name { get; init; }
    /// <summary><c>quick</c>, <c>paper</c> or <c>seed</c> (see <see cref="Presets"/>).</summary>
    public string? Preset { get; init; }
    /// <summary>A named corpus (<c>tinyshakespeare</c>, <c>warandpeace</c>, ...) or, with <see cref="CorpusText"/>, the name to store it under.</summary>
    public string? Corpus { get; init; }
    /// <summary>The corpus itself, inline.</summary>
    public string? CorpusText { get; init; }
    /// <summary>
    /// Build the corpus from a source tree or tarball on the Orchestrator's machine (or a tarball URL with its
    /// SHA-256) and store it under <see cref="Corpus"/>: see <see cref="Corpora.CorpusRecipe"/>.
    /// </summary>
    public Corpora.CorpusRecipe? CorpusRecipe { get; init; }
    public string[]? Models { get; init; }
    public int[]? Layers { get; init; }
    public int[]? HiddenSizes { get; init; }
    /// <summary>Seeds to train every cell with, one run per seed (at most 64); overrides <c>hyperparameters.seed</c>.</summary>
    public long[]? Seeds { get; init; }
    /// <summary>
    /// Extra grid axes: a hyperparameter name and the values it takes, e.g. <c>{"dropout": [0, 0.25, 0.5]}</c>; one
    /// run per combination of cell, seed and axis values (see <see cref="SweepAxes"/>).
    /// </summary>
    public JsonObject? Axes { get; init; }
    /// <summary>Overrides of the preset's hyperparameters, field by field.</summary>
    public JsonObject? Hyperparameters { get; init; }
    /// <summary>
    /// Match parameter counts across model types as the paper does: GRU and RNN hidden sizes are chosen so each
    /// cell has about as many parameters as the LSTM of its row; rows stay labelled by the LSTM's hidden size.
    /// </summary>
    public bool? MatchParameters { get; init; }
    /// <summary>
    /// With <see cref="MatchParameters"/>, hold every number of layers to the row's budget too: each cell has about as
    /// many parameters as the one-layer LSTM of its row, as in the paper's Table 1 (an LSTM 2x45 and 3x37 in the 64 row).
    /// Without it, a row's cells with more layers have more parameters.
    /// </summary>
    public bool? MatchLayers { get; init; }
    /// <summary>Hangfire queue for the runs: <c>cpu</c> (default) or <c>gpu</c>, or any lowercase name workers listen on.</summary>
    public string? Queue { get; init; }
}
