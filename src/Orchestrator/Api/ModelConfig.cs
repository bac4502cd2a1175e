using System.Text.Json;
using System.Text.Json.Serialization;

namespace RnnSweep.Orchestrator.Api;

// The model export's config file (run-ID.json, GET /api/runs/{id}/model.json), read by Python code: a file format
// whose snake_case names are spelled out here, so that /openapi/v1.json describes the names the file really has.
// How to load a model from it: docs/model-export.md.

/// <summary>A run's exported model: what it is, how well it did, and the torch.nn modules its state dict loads into.</summary>
public sealed record ModelConfig(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("run_id")] long RunId,
    [property: JsonPropertyName("sweep_id")] long SweepId,
    [property: JsonPropertyName("sweep")] string Sweep,
    [property: JsonPropertyName("corpus")] string Corpus,
    [property: JsonPropertyName("corpus_sha256")] string CorpusSha256,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("layers")] int Layers,
    [property: JsonPropertyName("hidden")] int Hidden,
    [property: JsonPropertyName("parameter_count")] long? ParameterCount,
    [property: JsonPropertyName("best_epoch")] int BestEpoch,
    [property: JsonPropertyName("losses")] ModelLosses Losses,
    [property: JsonPropertyName("input")] string Input,
    [property: JsonPropertyName("embedding")] ModelModule<EmbeddingArgs>? Embedding,
    [property: JsonPropertyName("recurrent")] ModelModule<IReadOnlyDictionary<string, object>> Recurrent,
    [property: JsonPropertyName("head")] ModelModule<LinearArgs> Head,
    [property: JsonPropertyName("state_dict")] IReadOnlyList<ModelTensor> StateDict,
    [property: JsonPropertyName("vocabulary")] ModelVocabulary Vocabulary,
    [property: JsonPropertyName("splits")] ModelSplits Splits,
    [property: JsonPropertyName("evaluation")] ModelEvaluation Evaluation,
    [property: JsonPropertyName("hyperparameters")] JsonElement Hyperparameters);

/// <summary>The best checkpoint's losses on full passes with dropout off, in <see cref="Unit"/>.</summary>
public sealed record ModelLosses(
    [property: JsonPropertyName("train")] double? Train,
    [property: JsonPropertyName("validation")] double? Validation,
    [property: JsonPropertyName("test")] double? Test,
    [property: JsonPropertyName("unit")] string Unit);

/// <summary>A torch.nn module, the prefix of its entries in the state dict, and its constructor's keyword arguments.</summary>
public sealed record ModelModule<TArgs>(
    [property: JsonPropertyName("module")] string Module,
    [property: JsonPropertyName("prefix")] string Prefix,
    [property: JsonPropertyName("args")] TArgs Args);

/// <summary><c>torch.nn.Embedding</c>'s arguments.</summary>
public sealed record EmbeddingArgs(
    [property: JsonPropertyName("num_embeddings")] int NumEmbeddings,
    [property: JsonPropertyName("embedding_dim")] int EmbeddingDim);

/// <summary><c>torch.nn.Linear</c>'s arguments.</summary>
public sealed record LinearArgs(
    [property: JsonPropertyName("in_features")] int InFeatures,
    [property: JsonPropertyName("out_features")] int OutFeatures);

/// <summary>One entry of the state dict.</summary>
public sealed record ModelTensor(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("shape")] long[] Shape,
    [property: JsonPropertyName("dtype")] string Dtype);

/// <summary>Index i is symbol i: a Unicode code point (chars) or a byte value (bytes); <see cref="Symbols"/> gives code points as text.</summary>
public sealed record ModelVocabulary(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("size")] int Size,
    [property: JsonPropertyName("code_points")] IReadOnlyList<int>? CodePoints,
    [property: JsonPropertyName("bytes")] IReadOnlyList<int>? Bytes,
    [property: JsonPropertyName("symbols")] IReadOnlyList<string>? Symbols);

/// <summary>How the corpus was split, in symbols, and the fractions asked for.</summary>
public sealed record ModelSplits(
    [property: JsonPropertyName("layout")] string Layout,
    [property: JsonPropertyName("train_symbols")] long TrainSymbols,
    [property: JsonPropertyName("validation_symbols")] long ValidationSymbols,
    [property: JsonPropertyName("test_symbols")] long TestSymbols,
    [property: JsonPropertyName("train_fraction")] double TrainFraction,
    [property: JsonPropertyName("val_fraction")] double ValFraction,
    [property: JsonPropertyName("test_fraction")] double TestFraction);

/// <summary>How the losses were measured, so Python can reproduce them.</summary>
public sealed record ModelEvaluation(
    [property: JsonPropertyName("streams")] int Streams,
    [property: JsonPropertyName("seq_length")] int SeqLength,
    [property: JsonPropertyName("carry_state")] bool CarryState,
    [property: JsonPropertyName("how")] string How);
