using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Analysis;

public sealed partial class GateExtractor
{
    /// <summary>
    /// Runs the fused module on x (B, T) from zero state and compares it with <see cref="Extract(Tensor, RecurrentState?)"/>:
    /// the final output, h_n and c_n of every layer, the logits, and every layer's h over all steps (the fused
    /// module rebuilt one layer at a time from that layer's weights, fed the fused layer below).
    /// torch's global generator is restored afterwards (building a module draws initial weights from it).
    /// </summary>
    public ExtractionCheck CompareWithFused(Tensor x)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var wasTraining = _model.training;
        using var rng = get_rng_state();
        _model.eval();
        try
        {
            using var trace = Extract(x);
            var children = _model.named_children().ToDictionary(c => c.name, c => c.module);
            var input = FusedInput(x);                                            // (B, T, V)

            var (output, hn, cn) = RunFused(children[_weights.Prefix], input, LayerCount); // (B, T, H), (L, B, H)
            var lastHidden = Enumerable.Range(0, LayerCount).Select(l => MaxDiff(trace.Final.H[l], hn[l])).ToArray();
            var lastCell = Model == ModelType.Lstm
                ? Enumerable.Range(0, LayerCount).Select(l => MaxDiff(trace.Final.C![l], cn![l])).ToArray()
                : [];

            var layerHidden = new double[LayerCount];
            var below = input;
            for (var l = 0; l < LayerCount; l++)
            {
                using var single = SingleLayer(l, below.shape[2]);
                (below, _, _) = RunFused(single, below, 1);
                layerHidden[l] = MaxDiff(trace[l, Gate.Hidden], below);
            }

            using var zero = _model.ZeroState(x.shape[0], _device);
            var (logits, _) = _model.Forward(x, zero);                            // (B, T, V)
            var head = (Linear)children["head"];
            var recomputedLogits = head.call(trace.Output);                       // (B, T, V)

            return new ExtractionCheck(MaxDiff(trace.Output, output), layerHidden, lastHidden, lastCell,
                MaxDiff(recomputedLogits, logits));
        }
        finally
        {
            set_rng_state(rng);
            _model.train(wasTraining);
        }
    }

    private static double MaxDiff(Tensor a, Tensor b) => a.sub(b).abs().max().item<float>();

    /// <summary>What the fused module reads: the embedding lookup or a one-hot vector per step, (B, T, V).</summary>
    private Tensor FusedInput(Tensor x) => _weights.Embedding is not null
        ? _weights.Embedding.index_select(0, x.reshape(-1)).reshape(x.shape[0], x.shape[1], -1)
        : nn.functional.one_hot(x, VocabularySize).to_type(ScalarType.Float32);

    private (Tensor Output, Tensor Hn, Tensor? Cn) RunFused(nn.Module module, Tensor input, int layers)
    {
        var h0 = zeros(layers, input.shape[0], Hidden, device: _device);          // (L, B, H)
        switch (module)
        {
            case LSTM lstm:
                var (o, h, c) = lstm.call(input, (h0, zeros_like(h0)));
                return (o, h, c);
            case GRU gru:
                var (og, hg) = gru.call(input, h0);
                return (og, hg, null);
            case RNN rnn:
                var (or, hr) = rnn.call(input, h0);
                return (or, hr, null);
            default:
                throw new InvalidOperationException($"unexpected recurrent module {module.GetType().Name}");
        }
    }

    /// <summary>A one-layer fused module of the same type holding layer <paramref name="layer"/>'s weights.</summary>
    private nn.Module SingleLayer(int layer, long inputSize)
    {
        nn.Module module = Model switch
        {
            ModelType.Lstm => nn.LSTM(inputSize, Hidden, 1, batchFirst: true),
            ModelType.Gru => nn.GRU(inputSize, Hidden, 1, batchFirst: true),
            _ => nn.RNN(inputSize, Hidden, 1, nn.NonLinearities.Tanh, batchFirst: true),
        };
        module.to(_device);
        var w = _weights.Layers[layer];
        var source = new Dictionary<string, Tensor>
        {
            ["weight_ih_l0"] = w.WeightIh, ["weight_hh_l0"] = w.WeightHh, ["bias_ih_l0"] = w.BiasIh, ["bias_hh_l0"] = w.BiasHh,
        };
        foreach (var (name, parameter) in module.named_parameters()) parameter.copy_(source[name]);
        module.eval();
        return module;
    }
}
