using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Data;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Export;

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

    private static readonly JsonSerializerOptions ConfigJsonOptions = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <exception cref="ValidationException">No run <paramref name="runId"/>, or it has no best checkpoint yet (field <paramref name="field"/>).</exception>
    public static async Task<ModelExport> CreateAsync(RnnSweepDbContext db, long runId, string field, CancellationToken ct)
    {
        var run = await db.Runs.AsNoTracking().Include(r => r.Sweep).SingleOrDefaultAsync(r => r.Id == runId, ct)
                  ?? throw new ValidationException(field, $"no run {runId}");
        var best = await db.Checkpoints.AsNoTracking().SingleOrDefaultAsync(c => c.RunId == runId && c.Kind == CheckpointKind.Best, ct)
                   ?? throw new ValidationException(field, $"run {runId} ({run.Status}) has no best checkpoint yet: it has not finished an epoch");
        var corpus = await db.Corpora.AsNoTracking().Where(c => c.Id == run.Sweep!.CorpusId)
            .Select(c => new { c.Id, c.Name, c.Sha256, c.Bytes, c.Characters }).SingleAsync(ct);
        var hp = JsonSerializer.Deserialize<Hyperparameters>(run.Hyperparameters, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
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
        var config = new
        {
            Format = "rnnsweep-model/1",
            RunId = run.Id, SweepId = run.SweepId, Sweep = run.Sweep!.Name, Corpus = corpus.Name, CorpusSha256 = corpus.Sha256,
            Model = run.Model, Layers = run.Layers, Hidden = run.Hidden, ParameterCount = run.ParameterCount,
            BestEpoch = best.Epoch,
            Losses = new { Train = run.TrainLoss, Validation = run.ValLoss, Test = run.TestLoss, Unit = "nats per symbol, full passes, dropout off" },
            // The modules, in the order the input flows, each with the prefix of its entries in the state dict.
            Input = hp.Input,
            Embedding = hp.IsOneHot ? null : new { Module = "torch.nn.Embedding", Prefix = "embedding.", Args = new { NumEmbeddings = vocabulary.Size, EmbeddingDim = vocabulary.Size } },
            Recurrent = new { Module = $"torch.nn.{module}", Prefix = $"{run.Model}.", Args = moduleArgs },
            Head = new { Module = "torch.nn.Linear", Prefix = "head.", Args = new { InFeatures = run.Hidden, OutFeatures = vocabulary.Size } },
            StateDict = tensors.Select(t => new { t.Name, Shape = t.Shape, Dtype = t.DType == 6 ? "float32" : $"scalar type {t.DType}" }),
            Vocabulary = new
            {
                Kind = vocabulary.Kind, Size = vocabulary.Size,
                // Index i is symbol i: a Unicode code point (chars) or a byte value (bytes); Symbols gives each as text too.
                CodePoints = vocabulary.Kind == "chars" ? vocabulary.Symbols : null,
                Bytes = vocabulary.Kind == "bytes" ? vocabulary.Symbols : null,
                Symbols = vocabulary.Kind == "chars" ? vocabulary.Symbols.Select(char.ConvertFromUtf32).ToList() : null,
            },
            Splits = new
            {
                Layout = hp.SplitLayout, TrainSymbols = trainSymbols, ValidationSymbols = validationSymbols, TestSymbols = testSymbols,
                hp.TrainFraction, hp.ValFraction, hp.TestFraction,
            },
            Evaluation = new
            {
                Streams = hp.BatchSize, hp.SeqLength, CarryState = true,
                How = "a split is read as min(streams, N-1) contiguous streams of (N-1) // streams inputs, seq_length steps at a time, " +
                      "the state carried from step to step, starting at zeros; loss = summed cross-entropy / predicted symbols",
            },
            Hyperparameters = JsonDocument.Parse(run.Hyperparameters).RootElement,
        };
        return new ModelExport(run.Id, pt.ToArray(), JsonSerializer.Serialize(config, ConfigJsonOptions));
    }
}
