using System.Text.Json;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Json;
using RnnSweep.Shared.Runs;
using RnnSweep.Worker.Training;

namespace RnnSweep.Worker.Stores;

/// <summary>What every job of a run needs: its hyperparameters, the corpus encoded and split, and the cell.</summary>
public sealed record RunData(RunStore.RunInfo Run, Hyperparameters Hyperparameters, Vocabulary Vocabulary, CorpusSplits Splits)
{
    /// <summary>The hyperparameters as submitted (<see cref="Hyperparameters"/> has the run's cap and restarts applied).</summary>
    public Hyperparameters Submitted => JsonSerializer.Deserialize<Hyperparameters>(Run.Hyperparameters, JsonContract.Options)!;

    public CellSpec Cell => new(ModelTypeNames.Parse(Run.Model), Run.Layers, Run.Hidden, Hyperparameters);

    /// <param name="purpose">What the data is for, in the log line ("the n-gram baseline of sweep 2", "sample 7 of run 3");
    /// null: "run N", a training or analysis of that run.</param>
    public static async Task<RunData> LoadAsync(RunStore store, RunStore.RunInfo run, string cacheDir, ILogger log, CancellationToken ct, string? purpose = null)
    {
        // What the run trains with now: the submitted record with the run's epoch cap and divergence restarts applied.
        var hp = RunHyperparameters.Effective(JsonSerializer.Deserialize<Hyperparameters>(run.Hyperparameters, JsonContract.Options)!, run.MaxEpochs, run.DivergenceRetries);
        // The corpus is streamed from the database to this machine's disk once, then encoded from the file: the only
        // copy of it in memory is the encoded one, which the splits share.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var file = await new CorpusCache(cacheDir).GetAsync(run.CorpusSha256, temp => store.WriteCorpusToAsync(run.CorpusSha256, temp, ct), ct);
        var fetched = clock.Elapsed.TotalSeconds;
        var (vocabulary, text) = await LoadedCorpus.GetAsync(run.CorpusSha256, file, hp.Vocabulary, ct);
        log.LogInformation("Corpus {Sha256} ready for {Purpose}: {Symbols} symbols in {SymbolMiB} MiB, {Vocabulary} in the vocabulary; on disk after {Fetched:0.0} s, encoded after {Total:0.0} s",
            run.CorpusSha256, purpose ?? $"run {run.Id}", text.Length, text.SymbolBytes >> 20, vocabulary.Size, fetched, clock.Elapsed.TotalSeconds);
        return new RunData(run, hp, vocabulary, CorpusSplits.From(text, vocabulary.Size, hp));
    }
}
