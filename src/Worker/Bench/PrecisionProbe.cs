using System.Diagnostics;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Bench;

/// <summary>
/// Where bfloat16 training's time goes on CPU (<c>bench precision --probe</c>): the LSTM's matrix products alone,
/// the fused LSTM forward/backward alone, and whole training steps, each in float32 and bfloat16 with libtorch's
/// oneDNN switched on and off (the Worker keeps it off: <see cref="LstmKernel"/>). Training steps alternate between
/// the variants every round so load that comes and goes hits all of them alike. Prints plain lines, not figures.
/// </summary>
public static class PrecisionProbe
{
    public static void Run(BenchArgs a)
    {
        var layers = a.Int("layers", 3);
        var hidden = a.Int("hidden", 512);
        var threads = a.Int("threads", Environment.ProcessorCount);
        var rounds = a.Int("rounds", 3);
        var budget = a.Int("budget", 0);
        torch.set_num_threads(threads);
        Log($"probe: LSTM {layers}x{hidden}, {threads} threads, load {Load()}");
        var hp = new Hyperparameters { BatchSize = 128, SeqLength = 70, Input = InputEncodings.Embedding, Optimizer = Optimizers.Adam, LearningRate = 2e-3 };
        var cell = new CellSpec(ModelType.Lstm, layers, hidden, hp);
        var text = BenchText.Generate(2_000_000);
        var vocabulary = Vocabulary.Build(text, VocabularyKinds.Chars);
        var encoded = vocabulary.Encode(text);
        var v = vocabulary.Size;

        if (!a.Has("skip-micro"))
        {
            // The fused LSTM's products at this size: the input projection of a whole layer (B*T rows) and one step's
            // recurrent product (B rows), both x (4H, H)^T, as ATen's LSTM calls them (linear).
            foreach (var (name, rows) in new[] { ("input projection 8960x512 @ 512x2048", 8960L), ("recurrent step 128x512 @ 512x2048", 128L) })
            {
                foreach (var (type, onednn) in new[] { (ScalarType.Float32, false), (ScalarType.Float32, true), (ScalarType.BFloat16, false), (ScalarType.BFloat16, true) })
                {
                    LstmKernel.SetOneDnn(onednn);
                    var gflops = Linear(rows, hidden, 4 * hidden, type);
                    Log($"matmul {name}, {Name(type)}, oneDNN {(onednn ? "on" : "off")}: {gflops:0.0} GFLOP/s (load {Load()})");
                }
            }
            // The fused LSTM alone: forward and backward of nn.LSTM(V, H, L) on an embedding-sized input.
            foreach (var (type, onednn, steps) in new[] { (ScalarType.Float32, false, 70), (ScalarType.Float32, true, 70), (ScalarType.BFloat16, true, 70), (ScalarType.BFloat16, false, 7) })
            {
                LstmKernel.SetOneDnn(onednn);
                var seconds = FusedLstm(v, hidden, layers, hp.BatchSize, steps, type);
                Log($"fused LSTM forward+backward 128x{steps}, {Name(type)}, oneDNN {(onednn ? "on" : "off")}: {seconds:0.000} s per batch{(steps != 70 ? $" ({seconds * 70 / steps:0.0} s scaled to 70 steps)" : "")} (load {Load()})");
            }
            LstmKernel.SetOneDnn(false);
        }

        if (a.Has("check"))
        {
            foreach (var (l, hsize) in new[] { (2, 64), (layers, hidden) }) OneDnnTrainingAgreement(l, hsize, v);
        }

        // Whole training steps: the same seed, batch and Adam for each variant.
        using var full = TrainingPair.Create(cell, v, bfloat16: false);
        using var half = TrainingPair.CreateBFloat16Model(cell, v);
        using var mixed = TrainingPair.Create(cell, v, bfloat16: true); // what precision: bfloat16 trains with
        using var full2 = TrainingPair.Create(cell, v, bfloat16: false);
        var variants = new (string Name, Func<Tensor, Tensor, double> Step)[]
        {
            ("float32, oneDNN off (ATen)", (x, y) => { LstmKernel.SetOneDnn(false); return LoopBench.BareLoop(full.Master, full.Optimizer, x, y, hp, 1).Wall; }),
            ("bfloat16 model (weights, activations, Adam state), oneDNN on", (x, y) => { LstmKernel.SetOneDnn(true); return Bf16Step(half.Master, half.Optimizer, x, y, hp); }),
            ("mixed (BFloat16Step): float32 master + Adam, bfloat16 copy for forward/backward, oneDNN on inside", (x, y) => { LstmKernel.SetOneDnn(false); return LoopBench.BareLoop(mixed.Master, mixed.Optimizer, x, y, hp, 1, mixed.Half).Wall; }),
            ("float32, oneDNN on for the training step only (the Worker where TrainingKernel finds it agrees)", (x, y) => { LstmKernel.SetOneDnn(true); return LoopBench.BareLoop(full2.Master, full2.Optimizer, x, y, hp, 1).Wall; }),
        };
        var (x0, y0) = TextBatches.FromStreams(encoded, hp.BatchSize, 0, hp.SeqLength, CPU);
        foreach (var variant in variants) variant.Step(x0, y0);                   // warm-up
        var totals = new double[variants.Length];
        for (var r = 0; r < rounds; r++)
        {
            for (var i = 0; i < variants.Length; i++)
            {
                var s = variants[i].Step(x0, y0);
                totals[i] += s;
                Log($"round {r + 1}: {variants[i].Name}: {s:0.000} s (load {Load()})");
            }
        }
        for (var i = 0; i < variants.Length; i++)
        {
            Log($"training step, {variants[i].Name}: {totals[i] / rounds:0.000} s per batch, {rounds / totals[i]:0.000} batches/s, speed / float32 {totals[0] / totals[i]:0.000}");
        }
        LstmKernel.SetOneDnn(false);

        if (budget > 0)
        {
            // From the same start, `budget` consecutive batches of the stream for each variant, then the float32 model
            // (bfloat16 weights widened) evaluated with oneDNN off on held-out text, as the Worker's final evaluation would.
            using var f = TrainingPair.Create(cell, v, bfloat16: false);
            using var b = TrainingPair.CreateBFloat16Model(cell, v);
            using var m = TrainingPair.Create(cell, v, bfloat16: true);
            var train = encoded.Slice(0, encoded.Length - 200_000);
            var clock = new double[3];
            for (var i = 0; i < budget; i++)
            {
                var (x, y) = TextBatches.FromStreams(train, hp.BatchSize, (long)i * hp.SeqLength, hp.SeqLength, CPU);
                using (x)
                using (y)
                {
                    LstmKernel.SetOneDnn(false);
                    clock[0] += LoopBench.BareLoop(f.Master, f.Optimizer, x, y, hp, 1).Wall;
                    LstmKernel.SetOneDnn(true);
                    clock[1] += Bf16Step(b.Master, b.Optimizer, x, y, hp);
                    LstmKernel.SetOneDnn(false); // BFloat16Step turns it on for its own step
                    clock[2] += LoopBench.BareLoop(m.Master, m.Optimizer, x, y, hp, 1, m.Half).Wall;
                }
                if ((i + 1) % 10 == 0) Log($"budget: {i + 1} of {budget} batches (load {Load()})");
            }
            LstmKernel.SetOneDnn(false);
            var held = encoded.Slice(encoded.Length - 200_000, 200_000);
            using var widened = Trainer.CreateModel(cell, v, CPU);
            using (no_grad())
            {
                foreach (var (p, q) in widened.parameters().Zip(b.Master.parameters())) p.copy_(q);
            }
            var lf = Validation(f.Master, held, hp);
            var lb = Validation(widened, held, hp);
            var lm = Validation(m.Master, held, hp);
            Log($"after {budget} batches each (float32 {clock[0]:0.0} s, bfloat16 {clock[1]:0.0} s, mixed {clock[2]:0.0} s): validation loss float32 {lf:0.0000}, bfloat16 model {lb:0.0000} (diff {lb - lf:+0.0000;-0.0000}), mixed {lm:0.0000} (diff {lm - lf:+0.0000;-0.0000}) nats/char");
        }
    }

    /// <summary>
    /// Whether oneDNN's float32 LSTM in train mode (autograd recording) agrees with ATen's: logits and every gradient
    /// of one loss, 16 streams x 40 steps, the largest absolute difference printed.
    /// </summary>
    private static void OneDnnTrainingAgreement(int layers, int hidden, int v)
    {
        using var scope = NewDisposeScope();
        var hp = new Hyperparameters { Input = InputEncodings.Embedding };
        manual_seed(5);
        using var model = Trainer.CreateModel(new CellSpec(ModelType.Lstm, layers, hidden, hp), v, CPU);
        model.train();
        var x = randint(0, v, [16, 40]);
        var y = randint(0, v, [16, 40]);
        var results = new List<(Tensor Logits, Tensor[] Grads)>();
        foreach (var onednn in new[] { false, true })
        {
            LstmKernel.SetOneDnn(onednn);
            model.zero_grad();
            var (logits, _) = model.Forward(x, model.ZeroState(16, CPU));
            nn.functional.cross_entropy(logits.reshape(-1, v), y.reshape(-1)).backward();
            results.Add((logits.detach().clone(), model.parameters().Select(p => p.grad!.clone()).ToArray()));
        }
        LstmKernel.SetOneDnn(false);
        var logitDiff = (results[0].Logits - results[1].Logits).abs().max().item<float>();
        var gradDiff = results[0].Grads.Zip(results[1].Grads).Max(g => (g.First - g.Second).abs().max().item<float>());
        var gradScale = results[0].Grads.Max(g => g.abs().max().item<float>());
        Log($"float32 train mode, LSTM {layers}x{hidden}, oneDNN on vs off: logits differ by {logitDiff:0.0e0}, gradients by {gradDiff:0.0e0} (largest gradient {gradScale:0.0e0})");
    }

    /// <summary>Mean cross-entropy (nats/char) over 8 batches of 64 streams x seq of held-out text, float32, no grad.</summary>
    internal static double Validation(CharRnn model, EncodedText held, Hyperparameters hp)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        var state = model.ZeroState(64, CPU);
        var total = 0.0;
        const int batches = 8;
        for (var i = 0; i < batches; i++)
        {
            var (x, y) = TextBatches.FromStreams(held, 64, (long)i * hp.SeqLength, hp.SeqLength, CPU);
            var (logits, next) = model.Forward(x, state);
            state = next;
            total += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1)).item<float>();
        }
        model.train();
        return total / batches;
    }

    private static double Bf16Step(CharRnn model, optim.Optimizer optimizer, Tensor x, Tensor y, Hyperparameters hp)
    {
        model.train();
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        var zero = model.ZeroState(hp.BatchSize, CPU);
        using var state = new RecurrentState(zero.H.to_type(ScalarType.BFloat16), zero.C?.to_type(ScalarType.BFloat16));
        var (logits, _) = model.Forward(x, state);
        var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]).to_type(ScalarType.Float32), y.reshape(-1));
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>GFLOP/s of linear((rows, k), (n, k)) in the given type, repeated for about half a second after a warm-up.</summary>
    private static double Linear(long rows, int k, int n, ScalarType type)
    {
        using var scope = NewDisposeScope();
        var input = randn(rows, k).to_type(type);
        var weight = randn(n, k).mul(0.05).to_type(type);
        var bias = zeros(n).to_type(type);
        nn.functional.linear(input, weight, bias).Dispose();
        var clock = Stopwatch.StartNew();
        var count = 0;
        do
        {
            nn.functional.linear(input, weight, bias).Dispose();
            count++;
        } while (clock.Elapsed.TotalSeconds < 0.5);
        return 2.0 * rows * k * n * count / clock.Elapsed.TotalSeconds / 1e9;
    }

    /// <summary>Seconds per forward+backward of a fused nn.LSTM in the given type (best of 2 after a warm-up).</summary>
    private static double FusedLstm(int inputSize, int hidden, int layers, int batch, int steps, ScalarType type)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var lstm = nn.LSTM(inputSize, hidden, layers, batchFirst: true);
        lstm.to(type);
        var input = randn(batch, steps, inputSize).to_type(type).requires_grad_(true);
        var h = zeros(layers, batch, hidden).to_type(type);
        var c = zeros(layers, batch, hidden).to_type(type);
        var best = double.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            using var inner = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            var (o, _, _) = lstm.call(input, (h, c));
            o.to_type(ScalarType.Float32).sum().backward();
            if (i > 0) best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static string Name(ScalarType type) => type == ScalarType.BFloat16 ? "bfloat16" : "float32";

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static void Log(string line)
    {
        Console.Out.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {line}");
        Console.Out.Flush();
    }
}
