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

    private readonly record struct Shape(bool Training, int Layers, int Hidden, long Input, bool OneHot, long Batch, long Steps, int Threads);

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
    public static Verdict For(CellSpec cell, int vocabularySize, CharRnn model, Tensor x, Tensor y, RecurrentState start, double tolerance = 1) =>
        Excluded(cell, x, start) ?? Remembered(new Shape(true, cell.Layers, cell.Hidden, vocabularySize, cell.Hyperparameters.IsOneHot, x.shape[0], x.shape[1], get_num_threads()),
            tolerance, () => CheckStep(cell, vocabularySize, model, x, y, start, tolerance));

    /// <summary>
    /// The kernel for a validation batch (eval mode, no autograd) of <paramref name="model"/> on <paramref name="x"/>
    /// (B, T) from <paramref name="start"/>: oneDNN where its logits and final state agree with ATen's on this shape.
    /// This is the pass oneDNN computed wrong on AVX-512 processors (at hidden 12, on an AMD Zen 4 and a Zen 5), so only
    /// the per-shape check lets it run here; the run's final losses are always ATen's (<see cref="Evaluator"/>).
    /// </summary>
    public static Verdict ForValidation(CellSpec cell, int vocabularySize, CharRnn model, Tensor x, RecurrentState start, double tolerance = 1) =>
        Excluded(cell, x, start) ?? Remembered(new Shape(false, cell.Layers, cell.Hidden, vocabularySize, cell.Hyperparameters.IsOneHot, x.shape[0], x.shape[1], get_num_threads()),
            tolerance, () => CheckValidation(cell, model, x, start, tolerance));

    private static Verdict? Excluded(CellSpec cell, Tensor x, RecurrentState start)
    {
        if (cell.Model != ModelType.Lstm || x.device_type != TorchSharp.DeviceType.CPU || start.H.dtype != ScalarType.Float32)
        {
            return new Verdict(false, "ATen: not a float32 LSTM on the CPU");
        }
        return Choice() == Aten ? new Verdict(false, $"ATen: {Variable}={Aten}") : null;
    }

    private static Verdict Remembered(Shape shape, double tolerance, Func<Verdict> check) =>
        tolerance != 1 ? check() : Verdicts.GetOrAdd(shape, _ => check());

    private static Verdict CheckStep(CellSpec cell, int vocabularySize, CharRnn model, Tensor x, Tensor y, RecurrentState start, double tolerance)
    {
        using var scope = NewDisposeScope();
        var rng = get_rng_state();                                            // building the twin draws weights
        using var twin = Trainer.CreateModel(cell with { Hyperparameters = cell.Hyperparameters with { Dropout = 0 } }, vocabularySize, CPU);
        set_rng_state(rng);
        twin.load_state_dict(model.state_dict());
        twin.train();

        (Tensor Logits, RecurrentState Next, Tensor[] Grads) Step(bool oneDnn)
        {
            twin.zero_grad();
            using var kernel = oneDnn ? LstmKernel.OneDnnOn() : null;
            var (logits, next) = twin.Forward(x, start);                       // (B, T, V)
            nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1)).backward();
            return (logits.detach(), next, twin.parameters().Select(p => p.grad!.clone()).ToArray());
        }
        var aten = Step(oneDnn: false);
        var oneDnn = Step(oneDnn: true);

        var gradientDifference = aten.Grads.Zip(oneDnn.Grads)
            .Max(g => (g.First - g.Second).norm().item<float>() / Math.Max(g.First.norm().item<float>(), 1e-12f));
        return Judge(cell, x, "training step", aten.Logits, aten.Next, oneDnn.Logits, oneDnn.Next, gradientDifference, tolerance);
    }

    private static Verdict CheckValidation(CellSpec cell, CharRnn model, Tensor x, RecurrentState start, double tolerance)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var training = model.training;
        model.eval();
        try
        {
            var (atenLogits, atenNext) = model.Forward(x, start);
            (Tensor, RecurrentState) OneDnn()
            {
                using var kernel = LstmKernel.OneDnnOn();
                return model.Forward(x, start);
            }
            var (oneDnnLogits, oneDnnNext) = OneDnn();
            return Judge(cell, x, "validation pass", atenLogits, atenNext, oneDnnLogits, oneDnnNext, null, tolerance);
        }
        finally
        {
            model.train(training);
        }
    }

    private static Verdict Judge(CellSpec cell, Tensor x, string pass, Tensor atenLogits, RecurrentState aten, Tensor oneDnnLogits, RecurrentState oneDnn,
        double? gradientDifference, double tolerance)
    {
        var logitDifference = (atenLogits - oneDnnLogits).abs().max().item<float>();
        var stateDifference = Math.Max((aten.H - oneDnn.H).abs().max().item<float>(), (aten.C! - oneDnn.C!).abs().max().item<float>());
        var agrees = logitDifference <= StateTolerance * tolerance && stateDifference <= StateTolerance * tolerance
                     && (gradientDifference ?? 0) <= GradientTolerance * tolerance;
        var gradients = gradientDifference is { } g
            ? string.Create(CultureInfo.InvariantCulture, $", gradients by {g:0.0e0} of their norm (tolerances {StateTolerance * tolerance:0.0e0}, {GradientTolerance * tolerance:0.0e0})")
            : string.Create(CultureInfo.InvariantCulture, $" (tolerance {StateTolerance * tolerance:0.0e0})");
        var figures = string.Create(CultureInfo.InvariantCulture, $"logits differ by {logitDifference:0.0e0}, final state by {stateDifference:0.0e0}{gradients}");
        var shape = $"LSTM {cell.Layers}x{cell.Hidden} {pass}, batch {x.shape[0]} x {x.shape[1]} steps, {get_num_threads()} threads";
        return agrees
            ? new Verdict(true, $"oneDNN: it agrees with ATen on {shape}: {figures}")
            : new Verdict(false, $"ATen: oneDNN disagrees with it on {shape}: {figures}");
    }
}
