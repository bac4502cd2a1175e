using RnnSweep.Shared.Domain;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Training;

/// <summary>
/// Mixed-precision training by hand (TorchSharp 0.107 has no CPU autocast) for <c>precision: bfloat16</c>: a bfloat16
/// working copy of the float32 master model. Each step copies the master weights into it, runs forward and backward on
/// it with oneDNN on (<see cref="LstmKernel.OneDnnOn"/>), and widens its gradients onto the master
/// parameters, so clipping, the optimizer state and checkpoints stay float32 and resume works as for float32 runs.
/// The loss is computed in float32 from the bfloat16 logits. docs/benchmarks.md has the speed and loss figures.
/// </summary>
public sealed class BFloat16Step : IDisposable
{
    private readonly CharRnn _work;
    private readonly Parameter[] _master;
    private readonly Parameter[] _copy;

    /// <param name="master">The float32 model the optimizer steps.</param>
    /// <param name="work">A model of the same shape (any weights); converted to bfloat16 and owned from here on.</param>
    public BFloat16Step(CharRnn master, CharRnn work)
    {
        _work = work;
        _work.to(ScalarType.BFloat16);
        _master = master.parameters().ToArray();
        _copy = _work.parameters().ToArray();
        if (_master.Length != _copy.Length) throw new ArgumentException("the working copy has another shape than the master model", nameof(work));
    }

    /// <summary>Zero state (L, B, H) in bfloat16, the working copy's state type.</summary>
    public RecurrentState ZeroState(long batch, Device device) => _work.ZeroState(batch, device);

    /// <summary>
    /// One forward and backward pass on the bfloat16 copy of the master weights: x, y (B, T) symbol indices, start the
    /// bfloat16 state. Returns the mean cross-entropy (float32 scalar, nats/char) and the bfloat16 state after the
    /// last step; the master parameters' gradients are then those of <c>loss * lossScale</c>, in float32.
    /// </summary>
    public (Tensor Loss, RecurrentState Next) ForwardBackward(Tensor x, Tensor y, RecurrentState start, double lossScale)
    {
        CopyMaster();
        _work.train();
        _work.zero_grad();
        Tensor loss;
        RecurrentState next;
        using (LstmKernel.OneDnnOn())
        {
            var (logits, state) = _work.Forward(x, start);                           // (B, T, V) bfloat16
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]).to_type(ScalarType.Float32), y.reshape(-1));
            (lossScale == 1 ? loss : loss * lossScale).backward();
            next = state;
        }
        for (var i = 0; i < _master.Length; i++)
        {
            using var wide = _copy[i].grad!.to_type(ScalarType.Float32);
            if (_master[i].grad is { } grad) grad.copy_(wide);
            else _master[i].grad = wide.clone().DetachFromDisposeScope();
        }
        return (loss, next);
    }

    /// <summary>
    /// The epoch's validation pass (<see cref="EvaluationPass"/>) on the bfloat16 copy of the master weights with
    /// oneDNN on, so validation runs at the precision training runs at (on the float32 master it took 6 % of a short
    /// bench epoch against 2 % for float32 training; docs/benchmarks.md). The loss is summed in float32 from the
    /// bfloat16 logits. Returns mean cross-entropy (nats/char) and argmax accuracy. It drives early stopping and the
    /// choice of the best checkpoint; the run's reported train, validation and test losses stay float32
    /// (<see cref="Evaluator"/> on the best checkpoint's float32 weights).
    /// </summary>
    /// <param name="batches">The split's <see cref="EvaluationPass.Batches"/>, kept by the caller across epochs.</param>
    internal (double Loss, double Accuracy) Validate(EncodedText split, int batchSize, int seqLength, Device device, TextStreams? batches = null)
    {
        CopyMaster();
        using (LstmKernel.OneDnnOn()) return EvaluationPass.Run(_work, split, batchSize, seqLength, device, batches: batches);
    }

    private void CopyMaster()
    {
        using (no_grad())
        {
            for (var i = 0; i < _master.Length; i++) _copy[i].copy_(_master[i]);
        }
    }

    public void Dispose() => _work.Dispose();
}
