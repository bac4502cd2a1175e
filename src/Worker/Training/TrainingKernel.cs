using System.Collections.Concurrent;
using System.Globalization;
using RnnSweep.Shared.Domain;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Training;

/// <summary>
/// Chooses the kernel of a float32 LSTM's training step on the CPU (forward and backward with autograd): oneDNN's
/// where it agrees with ATen's on the step's own shape, ATen's otherwise.
/// Why: libtorch's float32 products go through MKL, which takes its AVX2 path on AMD processors, while oneDNN uses
/// the processor's widest vectors; on an AMD Zen 5 (AVX-512) oneDNN's LSTM trained 3x512 at about twice ATen's speed
/// (docs/benchmarks.md). But oneDNN's float32 LSTM has computed wrong values on AVX-512 processors (its pass without
/// autograd; docs/lstm-kernel.md), so it is trusted per shape, not per machine: the first step of each shape in a
/// process runs both ways on a dropout-free twin of the model and compares logits, final state and every gradient.
/// GRU and RNN cells, GPUs and bfloat16 copies never come here. <c>RNNSWEEP_LSTM_KERNEL=aten</c> keeps ATen.
/// </summary>
public static class TrainingKernel
{
    /// <summary>The environment variable that chooses: <see cref="Auto"/> (unset: the default) or <see cref="Aten"/>.</summary>
    public const string Variable = "RNNSWEEP_LSTM_KERNEL";
    public const string Auto = "auto";
    public const string Aten = "aten";

    /// <summary>Largest difference of a logit or of the final h and c (absolute; they are O(1)) that still agrees.</summary>
    public const double StateTolerance = 1e-3;

    /// <summary>Largest gradient difference that still agrees, relative to the ATen gradient's norm, per parameter.</summary>
    public const double GradientTolerance = 1e-3;

    /// <summary>A decision and what it rests on, for the run's log.</summary>
    /// <param name="OneDnn">True: the step runs inside <see cref="LstmKernel.OneDnnOn"/>.</param>
    public sealed record Verdict(bool OneDnn, string Reason);

    private readonly record struct Shape(int Layers, int Hidden, long Input, bool OneHot, long Batch, long Steps, int Threads);

    private static readonly ConcurrentDictionary<Shape, Verdict> Verdicts = new();

    /// <summary>
    /// The choice in the environment; throws <see cref="InvalidOperationException"/> naming the variable for any value
    /// other than <c>auto</c>, <c>aten</c> or unset (the Worker checks it at start).
    /// </summary>
    public static string Choice() => Parse(Environment.GetEnvironmentVariable(Variable));

    internal static string Parse(string? value) => value switch
    {
        null or "" or Auto => Auto,
        Aten => Aten,
        _ => throw new InvalidOperationException($"{Variable}={value} is not a kernel choice: use {Auto} (the default: oneDNN where it agrees with ATen) or {Aten}"),
    };

    /// <summary>
    /// The kernel for a training step of <paramref name="model"/> on <paramref name="x"/> (B, T) from
    /// <paramref name="start"/>, decided on the first step of this shape in this process and remembered. The check
    /// leaves the model, its gradients and torch's random generator as it found them.
    /// </summary>
    /// <param name="cell">The run's cell: builds the twin (its dropout set to 0, so both kernels see the same function).</param>
    /// <param name="tolerance">Scale of both tolerances; tests pass 0 to see a disagreement refused.</param>
    public static Verdict For(CellSpec cell, int vocabularySize, CharRnn model, Tensor x, Tensor y, RecurrentState start, double tolerance = 1)
    {
        if (cell.Model != ModelType.Lstm || x.device_type != TorchSharp.DeviceType.CPU || start.H.dtype != ScalarType.Float32)
        {
            return new Verdict(false, "ATen: not a float32 LSTM on the CPU");
        }
        if (Choice() == Aten) return new Verdict(false, $"ATen: {Variable}={Aten}");
        var shape = new Shape(cell.Layers, cell.Hidden, vocabularySize, cell.Hyperparameters.IsOneHot, x.shape[0], x.shape[1], get_num_threads());
        if (tolerance != 1) return Check(cell, vocabularySize, model, x, y, start, tolerance);
        return Verdicts.GetOrAdd(shape, _ => Check(cell, vocabularySize, model, x, y, start, tolerance));
    }

    private static Verdict Check(CellSpec cell, int vocabularySize, CharRnn model, Tensor x, Tensor y, RecurrentState start, double tolerance)
    {
        using var scope = NewDisposeScope();
        var rng = get_rng_state();                                            // building the twin draws weights
        using var twin = Trainer.CreateModel(cell with { Hyperparameters = cell.Hyperparameters with { Dropout = 0 } }, vocabularySize, CPU);
        set_rng_state(rng);
        twin.load_state_dict(model.state_dict());
        twin.train();

        (Tensor Logits, Tensor H, Tensor C, Tensor[] Grads) Step(bool oneDnn)
        {
            twin.zero_grad();
            using var kernel = oneDnn ? LstmKernel.OneDnnOn() : null;
            var (logits, next) = twin.Forward(x, start);                       // (B, T, V)
            nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1)).backward();
            return (logits.detach(), next.H.detach(), next.C!.detach(), twin.parameters().Select(p => p.grad!.clone()).ToArray());
        }
        var aten = Step(oneDnn: false);
        var oneDnn = Step(oneDnn: true);

        var logitDifference = (aten.Logits - oneDnn.Logits).abs().max().item<float>();
        var stateDifference = Math.Max((aten.H - oneDnn.H).abs().max().item<float>(), (aten.C - oneDnn.C).abs().max().item<float>());
        var gradientDifference = aten.Grads.Zip(oneDnn.Grads)
            .Max(g => (g.First - g.Second).norm().item<float>() / Math.Max(g.First.norm().item<float>(), 1e-12f));
        var agrees = logitDifference <= StateTolerance * tolerance && stateDifference <= StateTolerance * tolerance
                     && gradientDifference <= GradientTolerance * tolerance;
        var figures = string.Create(CultureInfo.InvariantCulture,
            $"logits differ by {logitDifference:0.0e0}, final state by {stateDifference:0.0e0}, gradients by {gradientDifference:0.0e0} of their norm " +
            $"(tolerances {StateTolerance * tolerance:0.0e0}, {StateTolerance * tolerance:0.0e0}, {GradientTolerance * tolerance:0.0e0})");
        var shape = $"LSTM {cell.Layers}x{cell.Hidden}, batch {x.shape[0]} x {x.shape[1]} steps, {get_num_threads()} threads";
        return agrees
            ? new Verdict(true, $"oneDNN: it agrees with ATen on {shape}: {figures}")
            : new Verdict(false, $"ATen: oneDNN disagrees with it on {shape}: {figures}");
    }
}
