using RnnSweep.Shared.Domain;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Training;

/// <summary>
/// A full pass over a split with dropout off and the hidden state carried through
/// <c>batchSize</c> contiguous streams, as in training; the last chunk may be shorter than seqLength so every
/// stream is read to its end. Shared by validation in <see cref="Trainer"/> and by <see cref="Evaluator"/>,
/// so the two give the same number for a float32 run, to about 1e-6 where the epoch's validation ran on oneDNN (a
/// bfloat16 run validates each epoch on its bfloat16 copy, and its final losses are float32 passes over the best
/// checkpoint).
/// </summary>
internal static class EvaluationPass
{
    /// <summary>How many parallel streams a pass reads <paramref name="split"/> in: the batch size, or fewer for a tiny split.</summary>
    private static int StreamsOf(EncodedText split, int batchSize) => (int)Math.Min(batchSize, split.Length - 1);

    /// <summary><paramref name="split"/> as the streams a pass reads, for a caller that runs several passes over it.</summary>
    public static TextStreams Batches(EncodedText split, int batchSize) => new(split, StreamsOf(split, batchSize));

    /// <param name="correctProbabilities">
    /// When given (split.Length long), receives at each target's position in <paramref name="split"/> the probability
    /// the model gave the symbol there (Section 4.2 of the paper); positions that are no target keep their value.
    /// </param>
    /// <param name="kernel">The run's kernel decisions: each batch then runs on the kernel
    /// <see cref="TrainingKernel.ForValidation"/> chooses (a training epoch's validation). Null: ATen's, as the run's
    /// final losses and the analyses use.</param>
    /// <returns>Mean cross-entropy in nats per character, and the fraction of characters predicted by argmax.</returns>
    /// <param name="batches">The split's <see cref="Batches"/>, made by the caller to be used again (a Trainer's
    /// validation split every epoch); null: made here for this pass.</param>
    public static (double Loss, double Accuracy) Run(CharRnn model, EncodedText split, int batchSize, int seqLength, Device device,
        float[]? correctProbabilities = null, TrainingKernel? kernel = null, TextStreams? batches = null)
    {
        var streams = StreamsOf(split, batchSize);
        var length = TextBatches.StreamLength(split, streams);
        double lossSum = 0;
        long correct = 0, count = 0;

        model.eval();
        using var noGrad = no_grad();
        if (batches is not null && (batches.Streams != streams || batches.StreamLength != length)) throw new ArgumentException("streams of another split or batch size", nameof(batches));
        using var owned = batches is null ? Batches(split, batchSize) : null;
        batches ??= owned!;
        var state = model.ZeroState(streams, device);
        try
        {
            for (long position = 0; position < length; position += seqLength)
            {
                var steps = (int)Math.Min(seqLength, length - position);
                using var scope = NewDisposeScope();
                var (x, y) = batches.At(position, steps, device);
                Tensor logits;
                RecurrentState next;
                using (kernel?.ForValidation(model, x, state).Enter()) (logits, next) = model.Forward(x, state); // (B, T, V)
                // A bfloat16 model's logits are widened first: the loss is summed over the whole split.
                var flat = logits.reshape(-1, logits.shape[2]).to_type(ScalarType.Float32); // (B T, V)
                var targets = y.reshape(-1);                                          // (B T)
                lossSum += nn.functional.cross_entropy(flat, targets, reduction: nn.Reduction.Sum).item<float>();
                // max's indexes, not argmax: the same first maximal index, in about 30 % less time over rows of V.
                correct += flat.max(1).indexes.eq(targets).sum().item<long>();
                if (correctProbabilities is not null)
                {
                    // p(target) = exp(-cross-entropy) per symbol, (B T) in stream-major order.
                    var p = nn.functional.cross_entropy(flat, targets, reduction: nn.Reduction.None).neg().exp().cpu().data<float>().ToArray();
                    for (var b = 0; b < streams; b++)
                    {
                        var first = TextBatches.StreamStart(split, streams, b) + position + 1; // the target after input (b, position)
                        for (var t = 0; t < steps; t++) correctProbabilities[first + t] = p[b * steps + t];
                    }
                }
                count += targets.shape[0];
                state.Dispose();
                state = next.DetachToOuterScope();
            }
        }
        finally
        {
            state.Dispose();
        }
        return (lossSum / count, (double)correct / count);
    }
}
