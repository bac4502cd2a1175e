using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Export;
using RnnSweep.Shared.Json;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Api;

/// <summary>
/// A run's best checkpoint as files stock PyTorch loads: the state dict in <c>torch.save</c>'s format (<c>run-ID.pt</c>)
/// and a JSON config (<c>run-ID.json</c>) with the vocabulary, the model type, its sizes and the PyTorch modules and
/// state-dict prefixes to load it into. How to load both: docs/model-export.md.
/// </summary>
public sealed record ModelExport(long RunId, byte[] StateDict, string ConfigJson)
{
    public string StateDictFileName => $"run-{RunId}.pt";
    public string ConfigFileName => $"run-{RunId}.json";

    /// <exception cref="ValidationException">No run <paramref name="runId"/>, or it has no best checkpoint yet (field <paramref name="field"/>).</exception>
    public static async Task<ModelExport> CreateAsync(RnnSweepDbContext db, long runId, string field, CancellationToken ct)
    {
        var run = await db.Runs.AsNoTracking().Include(r => r.Sweep).SingleOrDefaultAsync(r => r.Id == runId, ct)
                  ?? throw new ValidationException(field, $"no run {runId}");
        var best = await db.Checkpoints.AsNoTracking().SingleOrDefaultAsync(c => c.RunId == runId && c.Kind == CheckpointKind.Best, ct)
                   ?? throw new ValidationException(field, $"run {runId} ({run.Status}) has no best checkpoint yet: it has not finished an epoch");
        var corpus = await db.Corpora.AsNoTracking().Where(c => c.Id == run.Sweep!.CorpusId)
            .Select(c => new { c.Id, c.Name, c.Sha256, c.Bytes, c.Characters }).SingleAsync(ct);
        var hp = JsonSerializer.Deserialize<Hyperparameters>(run.Hyperparameters, JsonContract.Options)!;
        // The Worker's own rule (RunData): the vocabulary is the sorted symbols of the whole corpus.
        var vocabulary = await Corpora.CorpusVocabulary.OfAsync(db, corpus.Id, hp.Vocabulary, ct);

        var tensors = TorchSharpStateDict.Read(best.ModelState);
        using var pt = new MemoryStream();
        PyTorchStateDict.Write(pt, tensors);

        var model = ModelTypeNames.Parse(run.Model);
        var module = model switch { ModelType.Lstm => "LSTM", ModelType.Gru => "GRU", _ => "RNN" };
        var moduleArgs = new Dictionary<string, object>
        {
            ["input_size"] = vocabulary.Size, ["hidden_size"] = run.Hidden, ["num_layers"] = run.Layers, ["batch_first"] = true,
            ["dropout"] = run.Layers > 1 ? hp.Dropout : 0.0,
        };
        if (model == ModelType.Rnn) moduleArgs["nonlinearity"] = "tanh";
        var (trainSymbols, validationSymbols, testSymbols) = SplitSizes.Of(
            hp.Vocabulary == "bytes" ? corpus.Bytes : corpus.Characters, hp);
        var config = new ModelConfig(
            "rnnsweep-model/1", run.Id, run.SweepId, run.Sweep!.Name, corpus.Name, corpus.Sha256,
            run.Model, run.Layers, run.Hidden, run.ParameterCount, best.Epoch,
            new ModelLosses(run.TrainLoss, run.ValLoss, run.TestLoss, "nats per symbol, full passes, dropout off"),
            // The modules, in the order the input flows, each with the prefix of its entries in the state dict.
            hp.Input,
            hp.IsOneHot ? null : new ModelModule<EmbeddingArgs>("torch.nn.Embedding", "embedding.", new EmbeddingArgs(vocabulary.Size, vocabulary.Size)),
            new ModelModule<IReadOnlyDictionary<string, object>>($"torch.nn.{module}", $"{run.Model}.", moduleArgs),
            new ModelModule<LinearArgs>("torch.nn.Linear", "head.", new LinearArgs(run.Hidden, vocabulary.Size)),
            tensors.Select(t => new ModelTensor(t.Name, t.Shape, t.DType == 6 ? "float32" : $"scalar type {t.DType}")).ToList(),
            new ModelVocabulary(vocabulary.Kind, vocabulary.Size,
                CodePoints: vocabulary.Kind == "chars" ? vocabulary.Symbols : null,
                Bytes: vocabulary.Kind == "bytes" ? vocabulary.Symbols : null,
                Symbols: vocabulary.Kind == "chars" ? vocabulary.Symbols.Select(char.ConvertFromUtf32).ToList() : null),
            new ModelSplits(hp.SplitLayout, trainSymbols, validationSymbols, testSymbols, hp.TrainFraction, hp.ValFraction, hp.TestFraction),
            new ModelEvaluation(hp.BatchSize, hp.SeqLength, CarryState: true,
                "a split is read as min(streams, N-1) contiguous streams of (N-1) // streams inputs, seq_length steps at a time, " +
                "the state carried from step to step, starting at zeros; loss = summed cross-entropy / predicted symbols"),
            // As stored (camelCase keys), not renamed: JsonElement holds no pooled buffers, unlike a JsonDocument left undisposed.
            JsonSerializer.Deserialize<JsonElement>(run.Hyperparameters));
        return new ModelExport(run.Id, pt.ToArray(), JsonSerializer.Serialize(config, JsonContract.ReadableFile));
    }
}
