using System.Diagnostics;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Bench;

/// <summary>
/// Whether <c>precision: bfloat16</c> pays for CPU training: the bare forward / backward / Adam step of the float32
/// model (on the kernel the Worker trains float32 with, TrainingKernel) against the same model trained through <see cref="BFloat16Step"/>
/// (float32 master weights and Adam state, forward and backward on a bfloat16 copy with oneDNN on), alternating
/// F B F B so contention hits both alike; then, with --budget N, the validation loss of each (float32, oneDNN off)
/// after the same N consecutive batches from the same start. The issue's bar: adopt only at 1.3x faster with the
/// loss within 0.01 nats. Both loops' FLOP/s are also given over the float32 matrix-multiply ceiling measured in this
/// process before and after them. <c>--probe</c> runs <see cref="PrecisionProbe"/> instead (where the time goes).
/// </summary>
public static class PrecisionBench
{
    public static void Run(BenchArgs a)
    {
        if (a.Has("probe"))
        {
            PrecisionProbe.Run(a);
            return;
        }
        var layers = a.Int("layers", 3);
        var hidden = a.Int("hidden", 512);
        var threads = a.Int("threads", Environment.ProcessorCount);
        var batches = a.Int("batches", 2);
        var rounds = a.Int("rounds", 2);
        var budget = a.Int("budget", 0);
        if (BenchFigure.SkipWithoutBFloat16("2 hardware use", $"LSTM {layers}x{hidden} bfloat16 training speed / float32")) return;
        torch.set_num_threads(threads);
        var hp = new Hyperparameters { BatchSize = 128, SeqLength = 70, Input = InputEncodings.Embedding, Optimizer = Optimizers.Adam, LearningRate = 2e-3 };
        var cell = new CellSpec(ModelType.Lstm, layers, hidden, hp);
        var text = BenchText.Generate(2_000_000);
        var vocabulary = Vocabulary.Build(text, VocabularyKinds.Chars);
        var encoded = vocabulary.Encode(text);
        var v = vocabulary.Size;
        var train = encoded.Slice(0, encoded.Length - 200_000);
        var held = encoded.Slice(encoded.Length - 200_000, 200_000);
        var charsPerBatch = (double)hp.BatchSize * hp.SeqLength;
        var flopsPerChar = ModelCost.FlopsPerChar(ModelType.Lstm, layers, hidden, v);

        var full = TrainingPair.Create(cell, v, bfloat16: false);
        var half = TrainingPair.Create(cell, v, bfloat16: true);
        try
        {
            var ceiling = new List<double> { Ceilings.Float32Flops().Best };
            var ceilingHalf = new List<double> { Ceilings.MatmulFlops(dtype: ScalarType.BFloat16) };
            var position = 0L;
            Step(full, train, ref position, hp);                                        // warm-up
            position = 0;
            Step(half, train, ref position, hp);
            // Alternating F B so contention hits both alike; both start from the same weights and see the same batches.
            var (f, h, done) = (0.0, 0.0, 0);
            var (pf, ph) = (position, position);
            for (var r = 0; r < rounds; r++)
            {
                for (var i = 0; i < batches; i++) f += Step(full, train, ref pf, hp);
                for (var i = 0; i < batches; i++) h += Step(half, train, ref ph, hp);
                done += batches;
            }
            ceiling.Add(Ceilings.Float32Flops().Best);
            ceilingHalf.Add(Ceilings.MatmulFlops(dtype: ScalarType.BFloat16));
            var speedup = f / h;
            var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
            new BenchFigure("2 hardware use", $"LSTM {layers}x{hidden} bfloat16 training speed / float32", speedup, "ratio", ">= 1.3 to adopt", speedup >= 1.3,
                $"bare forward/backward/Adam step, embedding input, batch 128x70, {threads} threads, {rounds} x {batches} batches each, alternating: float32 (the Worker's kernel) {done / f:0.000} batches/s, " +
                $"bfloat16 (precision: bfloat16, BFloat16Step: float32 master weights and Adam state, forward/backward on a bfloat16 copy with oneDNN on) {done / h:0.000} batches/s; load average {load} at the end").Print();
            var c = ceiling.Average();
            foreach (var (name, seconds) in new[] { ("float32", f), ("bfloat16", h) })
            {
                var flops = done * charsPerBatch / seconds * flopsPerChar;
                new BenchFigure("2 hardware use", $"LSTM {layers}x{hidden} {name} bare training loop / matmul ceiling", flops / c, "ratio", "", null,
                    $"{flops / 1e9:0.0} GFLOP/s ({flopsPerChar / 1e6:0.00} MFLOP/char, 6 x forward MACs) over {c / 1e9:0.0} GFLOP/s, the faster float32 {Ceilings.MatmulSize}x{Ceilings.MatmulSize} " +
                    $"product (MKL's matmul or oneDNN's) at {threads} threads in this process before and after ({string.Join(" / ", ceiling.Select(m => (m / 1e9).ToString("0.0")))})").Print();
                if (name != "bfloat16") continue;
                new BenchFigure("2 hardware use", $"LSTM {layers}x{hidden} bfloat16 bare training loop / bfloat16 matmul ceiling", flops / ceilingHalf.Average(), "ratio", "", null,
                    $"{flops / 1e9:0.0} GFLOP/s over {ceilingHalf.Average() / 1e9:0.0} GFLOP/s, the bfloat16 {Ceilings.MatmulSize}x{Ceilings.MatmulSize} product (oneDNN on) at {threads} threads " +
                    $"in this process before and after ({string.Join(" / ", ceilingHalf.Select(m => (m / 1e9).ToString("0.0")))})").Print();
            }
            if (budget > 0)
            {
                // The same `budget` consecutive batches from the same start for each; then the float32 model of each
                // (bfloat16's master weights) on held-out text, oneDNN off, as the Worker's final
                // (best-checkpoint) evaluation runs: the quality of the weights, not of bfloat16 arithmetic.
                var start = Math.Max(pf, ph);
                (pf, ph) = (start, start);
                for (var i = done + 1; i < budget; i++)
                {
                    if (pf != ph) throw new InvalidOperationException("the two loops read different batches");
                    Step(full, train, ref pf, hp);
                    Step(half, train, ref ph, hp);
                }
                var lossFull = PrecisionProbe.Validation(full.Master, held, hp);
                var lossHalf = PrecisionProbe.Validation(half.Master, held, hp);
                var difference = Math.Abs(lossHalf - lossFull);
                new BenchFigure("2 hardware use", $"LSTM {layers}x{hidden} bfloat16 training, validation loss difference", difference, "nats/char", "< 0.01 to adopt", difference < 0.01,
                    $"after {Math.Max(budget, done + 1)} batches each of the same stream (the warm-up batch included, the timed ones continuing it): float32 {lossFull:0.0000}, " +
                    $"bfloat16 {lossHalf:0.0000} (8 held-out batches 64x70 with carried state, float32, oneDNN off)").Print();
            }
        }
        finally
        {
            full.Dispose();
            half.Dispose();
        }
    }

    /// <summary>One training step on the batch at <paramref name="position"/> of the 128 streams (then advanced); wall seconds.</summary>
    private static double Step(TrainingPair pair, EncodedText text, ref long position, Hyperparameters hp)
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        var (x, y) = TextBatches.FromStreams(text, hp.BatchSize, position, hp.SeqLength, CPU);
        position += hp.SeqLength;
        LoopBench.BareLoop(pair.Master, pair.Optimizer, x, y, hp, 1, pair.Half, pair.Kernel);
        return clock.Elapsed.TotalSeconds;
    }
}
