using TorchSharp;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Training;

/// <summary>
/// The hidden state carried between batches: <see cref="H"/> (L, B, H) for every cell type, plus the
/// LSTM's cell state <see cref="C"/> (L, B, H).
/// </summary>
public sealed class RecurrentState(Tensor h, Tensor? c) : IDisposable
{
    public Tensor H { get; } = h;
    public Tensor? C { get; } = c;

    /// <summary>
    /// Cut from the graph (truncated BPTT: gradients stop at the batch boundary) and owned by the caller,
    /// not the batch's dispose scope, so it survives into the next batch.
    /// </summary>
    public RecurrentState DetachToOuterScope() =>
        new(H.detach().MoveToOuterDisposeScope(), C?.detach().MoveToOuterDisposeScope());

    public void Dispose()
    {
        H.Dispose();
        C?.Dispose();
    }
}
