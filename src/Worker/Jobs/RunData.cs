using System.Text.Json;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;

namespace RnnSweep.Worker.Jobs;

/// <summary>What every job of a run needs: its hyperparameters, the corpus encoded and split, and the cell.</summary>
public sealed record RunData(RunStore.RunInfo Run, Hyperparameters Hyperparameters, Vocabulary Vocabulary, CorpusSplits Splits)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public CellSpec Cell => new(ModelTypeNames.Parse(Run.Model), Run.Layers, Run.Hidden, Hyperparameters);

    public static async Task<RunData> LoadAsync(RunStore store, RunStore.RunInfo run, string cacheDir, ILogger log, CancellationToken ct)
    {
        var hp = JsonSerializer.Deserialize<Hyperparameters>(run.Hyperparameters, Json)!;
        var content = await new CorpusCache(cacheDir).GetAsync(run.CorpusSha256,
            () => DbRetry.RunAsync(() => store.CorpusContentAsync(run.CorpusSha256, ct), log, ct));
        var vocabulary = Vocabulary.Build(content, hp.Vocabulary);
        return new RunData(run, hp, vocabulary, CorpusSplits.From(vocabulary.Encode(content), vocabulary.Size, hp));
    }
}
