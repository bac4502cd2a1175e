using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Analysis;

/// <summary>One layer of the fused module: G = 4 (LSTM i,f,g,o), 3 (GRU r,z,n) or 1 (RNN) blocks of H rows.</summary>
/// <param name="WeightIh">(G H, In)</param>
/// <param name="WeightHh">(G H, H)</param>
/// <param name="BiasIh">(G H)</param>
/// <param name="BiasHh">(G H)</param>
internal sealed record LayerWeights(Tensor WeightIh, Tensor WeightHh, Tensor BiasIh, Tensor BiasHh);

/// <summary>
/// The weights of a <see cref="CharRnn"/> read by their state-dict names ("lstm.weight_ih_l0", "head.weight", ...),
/// so the analysis needs no accessor on the model. Tensors are detached views of the model's parameters.
/// </summary>
internal sealed class RecurrentWeights
{
    private RecurrentWeights(ModelType model, string prefix, IReadOnlyList<LayerWeights> layers, Tensor? embedding, int vocabularySize)
    {
        Model = model;
        Prefix = prefix;
        Layers = layers;
        Embedding = embedding;
        VocabularySize = vocabularySize;
    }

    public ModelType Model { get; }
    /// <summary>The fused module's submodule name: "lstm", "gru" or "rnn".</summary>
    public string Prefix { get; }
    public IReadOnlyList<LayerWeights> Layers { get; }
    /// <summary>(V, V) lookup when the model reads embeddings; null for one-hot input.</summary>
    public Tensor? Embedding { get; }
    public int VocabularySize { get; }
    public int Hidden => (int)Layers[0].WeightHh.shape[1];
    public int GateCount => Model switch { ModelType.Lstm => 4, ModelType.Gru => 3, _ => 1 };

    public static RecurrentWeights Of(CharRnn model)
    {
        var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach());
        var (type, prefix) = named.ContainsKey("lstm.weight_ih_l0") ? (ModelType.Lstm, "lstm")
            : named.ContainsKey("gru.weight_ih_l0") ? (ModelType.Gru, "gru")
            : named.ContainsKey("rnn.weight_ih_l0") ? (ModelType.Rnn, "rnn")
            : throw new ArgumentException("the model has no lstm, gru or rnn weights", nameof(model));

        var layers = new List<LayerWeights>();
        for (var l = 0; named.ContainsKey($"{prefix}.weight_ih_l{l}"); l++)
        {
            Tensor Get(string name) => named.TryGetValue($"{prefix}.{name}_l{l}", out var t)
                ? t : throw new ArgumentException($"the model has no {prefix}.{name}_l{l} (a fused module without biases?)", nameof(model));
            layers.Add(new LayerWeights(Get("weight_ih"), Get("weight_hh"), Get("bias_ih"), Get("bias_hh")));
        }
        named.TryGetValue("embedding.weight", out var embedding);
        var vocabularySize = (int)named["head.weight"].shape[0];
        return new RecurrentWeights(type, prefix, layers, embedding, vocabularySize);
    }
}
