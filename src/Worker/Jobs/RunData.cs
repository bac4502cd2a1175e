using System.Text.Json;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Json;
using RnnSweep.Shared.Runs;
using RnnSweep.Worker.Training;

namespace RnnSweep.Worker.Jobs;

/// <summary>What every job of a run needs: its hyperparameters, the corpus encoded and split, and the cell.</summary>
public sealed record RunData(RunStore.RunInfo Run, Hyperparameters Hyperparameters, Vocabulary Vocabulary, CorpusSplits Splits)
{
    /// <summary>The hyperparameters as submitted (<see cref="Hyperparameters"/> has the run's cap and restarts applied).</summary>
    public Hyperparameters Submitted => JsonSerializer.Deserialize<Hyperparameters>(Run.Hyperparameters, JsonContract.Options)!;

    public CellSpec Cell => new(ModelTypeNames.Parse(Run.Model), Run.Layers, Run.Hidden, Hyperparameters);

    public static async Task<RunData> LoadAsync(RunStore store, RunStore.RunInfo run, string cacheDir, ILogger log, CancellationToken ct)
    {
        // What the run trains with now: the submitted record with the run's epoch cap and divergence restarts applied.
        var hp = RunHyperparameters.Effective(JsonSerializer.Deserialize<Hyperparameters>(run.Hyperparameters, JsonContract.Options)!, run.MaxEpochs, run.DivergenceRetries);
        var content = await new CorpusCache(cacheDir).GetAsync(run.CorpusSha256,
            () => store.CorpusContentAsync(run.CorpusSha256, ct));
        var vocabulary = Vocabulary.Build(content, hp.Vocabulary);
        return new RunData(run, hp, vocabulary, CorpusSplits.From(vocabulary.Encode(content), vocabulary.Size, hp));
    }
}
