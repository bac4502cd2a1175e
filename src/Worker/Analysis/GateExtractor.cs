using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// Recomputes every layer's gates from the fused module's weights, since the built-in LSTM/GRU/RNN returns only
/// h (and c). PyTorch's equations and gate order:
/// LSTM (i, f, g, o): c' = f c + i g, h' = o tanh(c');
/// GRU (r, z, n): n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h;
/// RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh).
/// Why per layer rather than per step through all layers: a layer's input projection W_ih x for all T steps is
/// one matmul; only the recurrent W_hh h is left inside the step loop. Dropout is off (eval), as in evaluation.
/// <see cref="CompareWithFused"/> checks the recomputation against the fused module.
/// </summary>
public sealed partial class GateExtractor : IDisposable
{
    // why: alpha passed explicitly, as Scalars held for the process's life. Once, in the suite, add() without alpha
    // failed in GruLayer with "Expected false to be true" from libtorch's Scalar::toFloat: a sign of an alpha Scalar
    // made for the call and finalized by the GC while libtorch still read it (TorchSharp pull requests 1434 and 1496
    // are about such implicit Scalars). Not proven; these two are never finalized either way.
    private static readonly TorchSharp.Scalar One = 1.0, MinusOne = -1.0;

    private readonly CharRnn _model;
    private readonly bool _ownsModel;
    private readonly RecurrentWeights _weights;
    private readonly Device _device;

    /// <summary>Reads the weights of <paramref name="model"/>; the caller keeps owning the model.</summary>
    public GateExtractor(CharRnn model) : this(model, ownsModel: false) { }

    private GateExtractor(CharRnn model, bool ownsModel)
    {
        _model = model;
        _ownsModel = ownsModel;
        _weights = RecurrentWeights.Of(model);
        _device = _weights.Layers[0].WeightIh.device;
    }

    /// <summary>Loads a checkpoint as <see cref="Evaluator"/> does; the extractor owns that model.</summary>
    public static GateExtractor FromCheckpoint(CellSpec cell, int vocabularySize, CheckpointData checkpoint, Device device) =>
        new(TrainedModel.Load(cell, vocabularySize, checkpoint, device), ownsModel: true);

    public ModelType Model => _weights.Model;
    public int LayerCount => _weights.Layers.Count;
    public int Hidden => _weights.Hidden;
    public int VocabularySize => _weights.VocabularySize;
    public CharRnn Network => _model;

    /// <summary>
    /// The first <paramref name="steps"/> steps of <paramref name="streams"/> parallel contiguous streams of
    /// <paramref name="text"/> (char-rnn's layout, as evaluation reads it), from zero state. One stream reads the
    /// text continuously (for the cell visualiser).
    /// </summary>
    public GateTrace Extract(EncodedText text, int streams, long steps)
    {
        var length = TextBatches.StreamLength(text, streams);
        if (length < 1) throw new ArgumentException($"the text ({text.Length} symbols) is too short for {streams} streams", nameof(text));
        using var scope = NewDisposeScope();
        var (x, _) = TextBatches.FromStreams(text, streams, 0, (int)Math.Min(steps, length), _device); // (B, T)
        return Extract(x).MoveToOuter();
    }

    /// <summary>
    /// Walks the whole of <paramref name="streams"/> streams (or their first <paramref name="maxSteps"/> steps) in
    /// chunks of <paramref name="chunkSteps"/> with the state carried, handing each chunk to <paramref name="visit"/>
    /// and disposing it afterwards, so memory stays at one chunk however long the text is.
    /// </summary>
    public void ForEachChunk(EncodedText text, int streams, int chunkSteps, long maxSteps, Action<GateTrace> visit)
    {
        var length = Math.Min(TextBatches.StreamLength(text, streams), maxSteps);
        RecurrentState? state = null;
        try
        {
            for (long position = 0; position < length; position += chunkSteps)
            {
                GateTrace trace;
                using (var scope = NewDisposeScope())
                {
                    var (x, _) = TextBatches.FromStreams(text, streams, position, (int)Math.Min(chunkSteps, length - position), _device);
                    trace = Extract(x, state).MoveToOuter();
                }
                using (trace)
                {
                    visit(trace);
                    state?.Dispose();
                    state = new RecurrentState(trace.Final.H.clone(), trace.Final.C?.clone());
                }
            }
        }
        finally
        {
            state?.Dispose();
        }
    }

    /// <summary>x (B, T) symbol indices, from <paramref name="initial"/> (L, B, H) or zeros.</summary>
    public GateTrace Extract(Tensor x, RecurrentState? initial = null)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long batch = x.shape[0], steps = x.shape[1];
        var layers = new List<IReadOnlyDictionary<Gate, Tensor>>();
        var lastH = new List<Tensor>();
        var lastC = new List<Tensor>();

        Tensor? below = null;                                                     // (B, T, H) of the layer below
        for (var l = 0; l < _weights.Layers.Count; l++)
        {
            Dictionary<Gate, Tensor> gates;
            // The layer's input projection and its steps' states are freed before the next layer's are made.
            using (var layer = NewDisposeScope())
            {
                var w = _weights.Layers[l];
                var projected = InputProjection(l, x, below)                      // (B, T, G H)
                    .transpose(0, 1).contiguous();                                // (T, B, G H): one contiguous row per step
                var h0 = initial?.H[l] ?? zeros(batch, Hidden, device: _device);// (B, H)
                var c0 = initial?.C?[l] ?? zeros(batch, Hidden, device: _device);// (B, H)
                gates = Model switch
                {
                    ModelType.Lstm => LstmLayer(projected, w, h0, c0),
                    ModelType.Gru => GruLayer(projected, w, h0),
                    _ => RnnLayer(projected, w, h0),
                };
                foreach (var tensor in gates.Values) tensor.MoveToOuterDisposeScope();
            }
            layers.Add(gates);
            below = gates[Gate.Hidden];
            lastH.Add(below.select(1, steps - 1));
            if (Model == ModelType.Lstm) lastC.Add(gates[Gate.Cell].select(1, steps - 1));
        }

        var final = new RecurrentState(stack(lastH), Model == ModelType.Lstm ? stack(lastC) : null); // (L, B, H)
        var trace = new GateTrace(Model, layers, final);
        return trace.MoveToOuter();
    }

    /// <summary>
    /// W_ih x + b_ih for all steps, (B, T, G H). Layer 0 with one-hot input: the matmul with a one-hot vector is a
    /// column of W_ih, so it is a row lookup of W_ihᵀ (exact, and no (B, T, V) one-hot tensor).
    /// </summary>
    private Tensor InputProjection(int layer, Tensor x, Tensor? below)
    {
        var w = _weights.Layers[layer];
        if (layer == 0 && _weights.Embedding is null)
        {
            return w.WeightIh.t().index_select(0, x.reshape(-1))                  // (B T, G H)
                .reshape(x.shape[0], x.shape[1], -1).add(w.BiasIh, One);
        }
        var input = layer == 0 ? _weights.Embedding!.index_select(0, x.reshape(-1)) // (B T, V)
            : below!.reshape(-1, below.shape[2]);                                   // (B T, H)
        return addmm(w.BiasIh, input, w.WeightIh.t(), beta: 1, alpha: 1).reshape(x.shape[0], x.shape[1], -1);
    }

    private static Dictionary<Gate, Tensor> LstmLayer(Tensor projected, LayerWeights w, Tensor h, Tensor c)
    {
        var whhT = w.WeightHh.t();
        // Few, large calls per step: at small hidden sizes the per-call cost, not the arithmetic, sets the speed.
        // b_hh joins the input projection once; one sigmoid covers i, f and o (g's slice is recomputed with tanh).
        var withBias = projected.add_(w.BiasHh, One);                             // (T, B, 4 H)
        var outputs = new StepOutputs([Gate.Input, Gate.Forget, Gate.Candidate, Gate.Output, Gate.Cell, Gate.Hidden], h, withBias.shape[0]);
        for (long t = 0; t < withBias.shape[0]; t++)
        {
            using var step = NewDisposeScope();
            var all = addmm(withBias[t], h, whhT, beta: 1, alpha: 1);             // (B, 4 H)
            var sig = all.sigmoid().chunk(4, 1);
            var g = all.chunk(4, 1)[2].tanh();
            outputs.Write(Gate.Input, t, sig[0]);
            outputs.Write(Gate.Forget, t, sig[1]);
            outputs.Write(Gate.Candidate, t, g);
            outputs.Write(Gate.Output, t, sig[3]);
            c = outputs.WriteState(Gate.Cell, t, addcmul(sig[1].mul(c), sig[0], g, 1));  // f c + i g
            h = outputs.WriteState(Gate.Hidden, t, sig[3].mul(c.tanh()));              // o tanh(c)
        }
        return outputs.Tensors;                                                   // (B, T, H) each
    }

    private static Dictionary<Gate, Tensor> GruLayer(Tensor projected, LayerWeights w, Tensor h)
    {
        var whhT = w.WeightHh.t();
        var outputs = new StepOutputs([Gate.Reset, Gate.Update, Gate.Candidate, Gate.Hidden], h, projected.shape[0]);
        for (long t = 0; t < projected.shape[0]; t++)
        {
            using var step = NewDisposeScope();
            var xs = projected[t].chunk(3, 1);                                    // 3 x (B, H)
            var hs = addmm(w.BiasHh, h, whhT, beta: 1, alpha: 1).chunk(3, 1);// 3 x (B, H)
            var r = outputs.Write(Gate.Reset, t, xs[0].add(hs[0], One).sigmoid());
            var z = outputs.Write(Gate.Update, t, xs[1].add(hs[1], One).sigmoid());
            var n = outputs.Write(Gate.Candidate, t, xs[2].add(r.mul(hs[2]), One).tanh()); // b_hn stays inside r (...)
            h = outputs.WriteState(Gate.Hidden, t, n.add(z.mul(h.add(n, MinusOne)), One)); // (1 - z) n + z h
        }
        return outputs.Tensors;
    }

    private static Dictionary<Gate, Tensor> RnnLayer(Tensor projected, LayerWeights w, Tensor h)
    {
        var whhT = w.WeightHh.t();
        var withBias = projected.add_(w.BiasHh, One);                             // (T, B, H)
        var outputs = new StepOutputs([Gate.Hidden], h, withBias.shape[0]);
        for (long t = 0; t < withBias.shape[0]; t++)
        {
            using var step = NewDisposeScope();
            h = outputs.WriteState(Gate.Hidden, t, addmm(withBias[t], h, whhT, beta: 1, alpha: 1).tanh());
        }
        return outputs.Tensors;
    }

    /// <summary>
    /// A layer's per-step values, written into (B, T, H) tensors allocated once. Why: with each step's temporaries
    /// disposed after the step, a chunk holds its outputs, its states and one step's work; kept per step and stacked at
    /// the end, it held every step's intermediates and a second copy of the outputs (about three times the memory).
    /// </summary>
    private sealed class StepOutputs(Gate[] gates, Tensor like, long steps)
    {
        public Dictionary<Gate, Tensor> Tensors { get; } =
            gates.ToDictionary(g => g, _ => empty(like.shape[0], steps, like.shape[1], dtype: like.dtype, device: like.device));

        /// <summary>Copies <paramref name="value"/> (B, H) into step <paramref name="t"/> and returns it.</summary>
        public Tensor Write(Gate gate, long t, Tensor value)
        {
            Tensors[gate].select(1, t).copy_(value);
            return value;
        }

        /// <summary>
        /// <see cref="Write"/> for the state the next step reads, kept past the step's dispose scope. Why the value and
        /// not its slot: the slot is strided (rows T H apart), and the recurrent product then rounds differently from
        /// a contiguous state (last-bit differences from the fused module's own order of operations).
        /// </summary>
        public Tensor WriteState(Gate gate, long t, Tensor value) => Write(gate, t, value).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        if (_ownsModel) _model.Dispose();
    }
}
