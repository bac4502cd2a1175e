using System.Diagnostics;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Bench;

/// <summary>
/// Whether bfloat16 pays for CPU training: the bare forward / backward / Adam step of one model with float32
/// weights against the same model converted to bfloat16 (weights, activations and Adam state; libtorch 2.10 on CPU
/// offers no autocast through TorchSharp), alternating F B F B so contention hits both alike, then the validation
/// loss of each after the same number of batches. The bar: adopt only at 1.3x faster with the loss within 0.01.
/// </summary>
public static class PrecisionBench
{
    public static void Run(BenchArgs a)
    {
        var layers = a.Int("layers", 3);
        var hidden = a.Int("hidden", 512);
        var threads = a.Int("threads", Environment.ProcessorCount);
        var batches = a.Int("batches", 2);
        var budget = a.Int("budget", 0);
        torch.set_num_threads(threads);
        var hp = new Hyperparameters { BatchSize = 128, SeqLength = 70, Input = InputEncodings.Embedding, Optimizer = Optimizers.Adam, LearningRate = 2e-3 }; // one-hot input is built as float32
        var cell = new CellSpec(ModelType.Lstm, layers, hidden, hp);
        var text = BenchText.Generate(2_000_000);
        var vocabulary = Vocabulary.Build(text, VocabularyKinds.Chars);
        var encoded = vocabulary.Encode(text);
        var (x, y) = TextBatches.FromStreams(encoded, hp.BatchSize, 0, hp.SeqLength, CPU);
        manual_seed(hp.Seed);
        using var full = Trainer.CreateModel(cell, vocabulary.Size, CPU);
        manual_seed(hp.Seed);
        using var half = Trainer.CreateModel(cell, vocabulary.Size, CPU);
        half.to(ScalarType.BFloat16);
        using var fullOptimizer = OptimizerFactory.Create(hp, full.parameters());
        using var halfOptimizer = OptimizerFactory.Create(hp, half.parameters());

        LoopBench.BareLoop(full, fullOptimizer, x, y, hp, 1);
        Bf16Loop(half, halfOptimizer, x, y, hp, 1);
        // Alternating F B so contention hits both alike; one round when bfloat16 is far slower, since each of its
        // batches can take a minute (libtorch's CPU LSTM has no bfloat16 kernel of its own to fall on).
        var (f, h) = (0.0, 0.0);
        var rounds = 0;
        do
        {
            f += LoopBench.BareLoop(full, fullOptimizer, x, y, hp, batches).Wall;
            h += Bf16Loop(half, halfOptimizer, x, y, hp, batches);
            rounds++;
        } while (rounds < 2 && f / h >= 0.5);
        var speedup = f / h;
        new BenchFigure("2 hardware use", $"LSTM {layers}x{hidden} bfloat16 training speed / float32", speedup, "ratio", ">= 1.3 to adopt", speedup >= 1.3,
            $"bare forward/backward/Adam step, embedding input, batch 128x70, {threads} threads, {rounds} x {batches} batches each, alternating: float32 {rounds * batches / f:0.00} batches/s, " +
            $"bfloat16 (model.to(bfloat16): weights, activations, gradients and Adam state) {rounds * batches / h:0.00} batches/s").Print();
        if (budget > 0 && speedup >= 1.3)
        {
            // Equal budget of batches from the same start, then the loss on held-out text.
            var (vx, vy) = TextBatches.FromStreams(encoded.Slice(encoded.Length - 200_000, 200_000), 32, 0, hp.SeqLength, CPU);
            LoopBench.BareLoop(full, fullOptimizer, x, y, hp, budget);
            Bf16Loop(half, halfOptimizer, x, y, hp, budget);
            var lossFull = Loss(full, vx, vy, ScalarType.Float32);
            var lossHalf = Loss(half, vx, vy, ScalarType.BFloat16);
            new BenchFigure("2 hardware use", $"LSTM {layers}x{hidden} bfloat16 training, validation loss difference", Math.Abs(lossHalf - lossFull), "nats/char", "< 0.01 to adopt",
                Math.Abs(lossHalf - lossFull) < 0.01, $"after {budget + rounds * batches + 1} batches each: float32 {lossFull:0.0000}, bfloat16 {lossHalf:0.0000}").Print();
        }
        else if (budget > 0)
        {
            // The speed bar already fails, so bfloat16 training cannot be adopted whatever its loss; the budget of
            // slow bfloat16 batches is not spent.
            Console.Error.WriteLine($"bench precision: bfloat16 is {speedup:0.00}x float32's speed, under the 1.3x bar: its validation loss is not measured");
        }
    }

    private static double Bf16Loop(CharRnn model, optim.Optimizer optimizer, Tensor x, Tensor y, Hyperparameters hp, int batches)
    {
        model.train();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < batches; i++)
        {
            using var scope = NewDisposeScope();
            var zero = model.ZeroState(hp.BatchSize, CPU);
            using var state = new RecurrentState(zero.H.to_type(ScalarType.BFloat16), zero.C?.to_type(ScalarType.BFloat16));
            var (logits, _) = model.Forward(x, state);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]).to_type(ScalarType.Float32), y.reshape(-1));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        return clock.Elapsed.TotalSeconds;
    }

    private static double Loss(CharRnn model, Tensor x, Tensor y, ScalarType type)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        var zero = model.ZeroState(x.shape[0], CPU);
        using var state = new RecurrentState(zero.H.to_type(type), zero.C?.to_type(type));
        var (logits, _) = model.Forward(x, state);
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]).to_type(ScalarType.Float32), y.reshape(-1)).item<float>();
    }
}
