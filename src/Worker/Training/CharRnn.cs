using RnnSweep.Shared.Domain;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Training;

/// <summary>
/// The character-level language model of the paper: input (one-hot or embedding) -> the built-in fused
/// LSTM / GRU / RNN(tanh) with dropout between layers -> dropout -> Linear to the vocabulary.
/// One-hot input is built per batch, never for the whole corpus.
/// Embedding input: embedding size = vocabulary size (V). Why: the recurrent layer then has exactly the
/// one-hot model's shape, so the two differ only by the learned V x V lookup (V^2 extra parameters),
/// which is the same first-layer family; the lookup replaces a (B, T, V) one-hot tensor.
/// </summary>
public sealed class CharRnn : nn.Module
{
    private readonly ModelType _model;
    private readonly int _layers;
    private readonly int _hidden;
    private readonly int _vocabularySize;

    // Fields are registered as submodules by RegisterComponents (names become state-dict keys).
    private readonly Embedding? embedding;
    private readonly LSTM? lstm;
    private readonly GRU? gru;
    private readonly RNN? rnn;
    private readonly Dropout dropout;
    private readonly Linear head;

    // Every fused LSTM the Worker runs (training, evaluation, sampling, analysis) lives in a CharRnn: switching
    // oneDNN off here, before the first one exists, keeps libtorch on ATen's correct LSTM kernel (LstmKernel says why).
    static CharRnn() => LstmKernel.UseAten();

    public CharRnn(ModelType model, int layers, int hidden, int vocabularySize, bool oneHot, double dropoutRate)
        : base("CharRnn")
    {
        _model = model;
        _layers = layers;
        _hidden = hidden;
        _vocabularySize = vocabularySize;
        // PyTorch warns about (and ignores) inter-layer dropout on a single layer: pass it only when it applies.
        var between = layers > 1 ? dropoutRate : 0;
        if (!oneHot) embedding = nn.Embedding(vocabularySize, vocabularySize);
        switch (model)
        {
            case ModelType.Lstm: lstm = nn.LSTM(vocabularySize, hidden, layers, batchFirst: true, dropout: between); break;
            case ModelType.Gru: gru = nn.GRU(vocabularySize, hidden, layers, batchFirst: true, dropout: between); break;
            case ModelType.Rnn: rnn = nn.RNN(vocabularySize, hidden, layers, nn.NonLinearities.Tanh, batchFirst: true, dropout: between); break;
            default: throw new ArgumentOutOfRangeException(nameof(model), model, null);
        }
        dropout = nn.Dropout(dropoutRate);
        head = nn.Linear(hidden, vocabularySize);
        RegisterComponents();
    }

    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>PyTorch's count for the one-hot model (see <see cref="ModelSize.Parameters"/>).</summary>
    public static long ExpectedParameterCount(ModelType model, int layers, int hidden, int vocabularySize) =>
        ModelSize.Parameters(model, layers, hidden, vocabularySize);

    /// <summary>Zeros, the state at the start of every stream, in the weights' type (float32, or bfloat16 for a bfloat16 working copy).</summary>
    public RecurrentState ZeroState(long batch, Device device) => new(
        zeros(_layers, batch, _hidden, dtype: head.weight!.dtype, device: device),
        _model == ModelType.Lstm ? zeros(_layers, batch, _hidden, dtype: head.weight!.dtype, device: device) : null);

    /// <summary>x (B, T) symbol indices -> logits (B, T, V) and the state after the last step.</summary>
    public (Tensor Logits, RecurrentState State) Forward(Tensor x, RecurrentState state)
    {
        var input = embedding is not null
            ? embedding.call(x)                                               // (B, T, V)
            : nn.functional.one_hot(x, _vocabularySize).to_type(head.weight!.dtype); // (B, T, V), in the weights' type

        Tensor output;                                                        // (B, T, H)
        RecurrentState next;
        if (lstm is not null)
        {
            var (o, h, c) = lstm.call(input, (state.H, state.C!));
            (output, next) = (o, new RecurrentState(h, c));
        }
        else
        {
            var (o, h) = gru is not null ? gru.call(input, state.H) : rnn!.call(input, state.H);
            (output, next) = (o, new RecurrentState(h, null));
        }
        var logits = head.call(dropout.call(output));                         // (B, T, V)
        return (logits, next);
    }
}
