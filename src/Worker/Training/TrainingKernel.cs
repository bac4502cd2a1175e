using System.Globalization;
using RnnSweep.Shared.Diagnostics;
using RnnSweep.Shared.Domain;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Training;

/// <summary>
/// One run's choice of kernel for its float32 LSTM's training steps (forward and backward with autograd) and its
/// epochs' validation batches on the CPU: oneDNN's where it agrees with ATen's on the shape, ATen's otherwise.
/// Why: libtorch's float32 products go through MKL, which takes its AVX2 path on AMD processors, while oneDNN uses
/// the processor's widest vectors; on an AMD Zen 5 (AVX-512) oneDNN's LSTM trained 3x512 at about twice ATen's speed
/// (docs/lstm-kernel.md). But oneDNN's float32 LSTM computes wrong values at some shapes on AVX-512 processors (its
/// pass without autograd at hidden 12 and 40 on that Zen 5), so it is trusted per shape: the first batch of each shape
/// runs both ways (a training step on a dropout-free twin of the model, comparing logits, final state and every
/// gradient; a validation batch on the model itself, comparing logits and final state).
/// The decisions belong to the run and travel in its checkpoints (<see cref="TrainerState.LstmKernels"/>), so a
/// resumed run takes the kernel it trained with and continues exactly; a shape it trained on oneDNN is checked again
/// (the machine may be another), and falls back to ATen, said in the log, if oneDNN disagrees there.
/// GRU and RNN cells, GPUs and bfloat16 copies never come here. <c>RNNSWEEP_LSTM_KERNEL=aten</c> keeps ATen
/// (<see cref="LstmKernelChoice"/>).
/// Not thread-safe beyond its lock: libtorch's oneDNN switch is process-wide, and a Worker trains one run at a time.
/// </summary>
public sealed class TrainingKernel
{
    /// <summary>Largest difference of a logit or of the final h and c (absolute; they are O(1)) that still agrees.</summary>
    public const double StateTolerance = 1e-3;

    /// <summary>Largest gradient difference that still agrees, relative to the ATen gradient's norm, per parameter.</summary>
    public const double GradientTolerance = 1e-3;

    /// <summary>A decision and what it rests on, for the run's log.</summary>
    /// <param name="OneDnn">True: the pass runs inside <see cref="LstmKernel.OneDnnOn"/>.</param>
    public sealed record Verdict(bool OneDnn, string Reason)
    {
        /// <summary>Switches oneDNN on for the pass when this verdict says so (dispose to switch it off); null otherwise.</summary>
        public IDisposable? Enter() => OneDnn ? LstmKernel.OneDnnOn() : null;
    }

    private static readonly Lazy<string> Chosen = new(LstmKernelChoice.FromEnvironment);

    private readonly CellSpec _cell;
    private readonly int _vocabularySize;
    private readonly IReadOnlyDictionary<string, bool> _saved;
    private readonly bool _atenUnlessSaved;
    private readonly double _tolerance;
    private readonly string? _choice;
    private readonly Dictionary<string, Verdict> _decided = [];
    private readonly List<string> _notes = [];
    private readonly Lock _lock = new();

    /// <param name="saved">The run's decisions from its checkpoint, by shape (true: oneDNN); null for a new run.</param>
    /// <param name="atenUnlessSaved">A checkpoint from before the choice existed: every shape not in
    /// <paramref name="saved"/> trained on ATen, and stays there so the run continues exactly.</param>
    /// <param name="tolerance">Scale of both tolerances; tests pass 0 to see a disagreement refused.</param>
    /// <param name="choice">The <see cref="LstmKernelChoice"/>; null: this process's (<see cref="Choice"/>).</param>
    public TrainingKernel(CellSpec cell, int vocabularySize, IReadOnlyDictionary<string, bool>? saved = null, bool atenUnlessSaved = false, double tolerance = 1,
        string? choice = null)
    {
        (_cell, _vocabularySize, _tolerance, _choice) = (cell, vocabularySize, tolerance, choice);
        (_saved, _atenUnlessSaved) = (saved ?? new Dictionary<string, bool>(), atenUnlessSaved);
    }

    /// <summary>
    /// This process's <see cref="LstmKernelChoice"/>, read once; throws <see cref="ValidationException"/> for a value
    /// other than <c>auto</c>, <c>aten</c> or unset (the Worker checks it at start).
    /// </summary>
    public static string Choice() => Chosen.Value;

    /// <summary>Every shape decided so far (true: oneDNN), for the run's checkpoint.</summary>
    public IReadOnlyDictionary<string, bool> Decisions
    {
        get { lock (_lock) return _decided.ToDictionary(d => d.Key, d => d.Value.OneDnn); }
    }

    /// <summary>The reasons of the decisions taken since the last call, for the run's log.</summary>
    public IReadOnlyList<string> TakeNotes()
    {
        lock (_lock)
        {
            var notes = _notes.ToArray();
            _notes.Clear();
            return notes;
        }
    }

    /// <summary>
    /// The kernel for a training step of <paramref name="model"/> on <paramref name="x"/> (B, T) from
    /// <paramref name="start"/>. The check leaves the model, its gradients and torch's random generator as it found them.
    /// </summary>
    public Verdict ForStep(CharRnn model, Tensor x, Tensor y, RecurrentState start) =>
        Decide(x, start, "training step", () => CheckStep(model, x, y, start));

    /// <summary>The kernel for a validation batch (eval mode, no autograd) of <paramref name="model"/> on <paramref name="x"/> (B, T).
    /// The run's final losses are always ATen's (<see cref="Evaluator"/>).</summary>
    public Verdict ForValidation(CharRnn model, Tensor x, RecurrentState start) =>
        Decide(x, start, "validation pass", () => CheckValidation(model, x, start));

    private Verdict Decide(Tensor x, RecurrentState start, string pass, Func<Verdict> check)
    {
        if (_cell.Model != ModelType.Lstm || x.device_type != TorchSharp.DeviceType.CPU || start.H.dtype != ScalarType.Float32)
        {
            return new Verdict(false, "libtorch's own: not a float32 LSTM on the CPU");
        }
        var key = string.Create(CultureInfo.InvariantCulture, $"{pass}, batch {x.shape[0]} x {x.shape[1]} steps, {get_num_threads()} threads");
        lock (_lock)
        {
            if (_decided.TryGetValue(key, out var known)) return known;
            var hasSaved = _saved.TryGetValue(key, out var savedOneDnn);
            Verdict verdict;
            if ((_choice ?? Choice()) == LstmKernelChoice.Aten)
            {
                // Recorded like any decision, so the run resumes on ATen under the default choice too.
                verdict = new Verdict(false, $"ATen: {LstmKernelChoice.Variable}={LstmKernelChoice.Aten} (LSTM {_cell.Layers}x{_cell.Hidden} {key})");
            }
            else if (hasSaved ? !savedOneDnn : _atenUnlessSaved)
            {
                verdict = new Verdict(false, $"ATen: the run trained its LSTM {_cell.Layers}x{_cell.Hidden} {key} on ATen before its checkpoint, and stays there to continue exactly");
            }
            else
            {
                if (LstmKernel.OneDnnEnabled) throw new InvalidOperationException("oneDNN is on outside a pass: the kernel check would compare oneDNN with itself");
                verdict = check();
                if (hasSaved && !verdict.OneDnn) verdict = verdict with { Reason = $"{verdict.Reason}; the run trained this shape on oneDNN before its checkpoint, so from here it does not continue exactly" };
            }
            _decided[key] = verdict;
            _notes.Add(verdict.Reason);
            return verdict;
        }
    }

    private Verdict CheckStep(CharRnn model, Tensor x, Tensor y, RecurrentState start)
    {
        using var scope = NewDisposeScope();
        var rng = get_rng_state();                                            // building the twin draws weights
        using var twin = Trainer.CreateModel(_cell with { Hyperparameters = _cell.Hyperparameters with { Dropout = 0 } }, _vocabularySize, CPU);
        set_rng_state(rng);
        twin.load_state_dict(model.state_dict());
        twin.train();

        (Tensor Logits, RecurrentState Next, Tensor[] Grads) Step(bool oneDnn)
        {
            twin.zero_grad();
            using var kernel = new Verdict(oneDnn, "").Enter();
            var (logits, next) = twin.Forward(x, start);                       // (B, T, V)
            nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1)).backward();
            return (logits.detach(), next, twin.parameters().Select(p => p.grad!.clone()).ToArray());
        }
        var aten = Step(oneDnn: false);
        var oneDnn = Step(oneDnn: true);

        var gradientDifference = aten.Grads.Zip(oneDnn.Grads)
            .Max(g => (g.First - g.Second).norm().item<float>() / Math.Max(g.First.norm().item<float>(), 1e-12f));
        return Judge(x, "training step", aten.Logits, aten.Next, oneDnn.Logits, oneDnn.Next, gradientDifference);
    }

    private Verdict CheckValidation(CharRnn model, Tensor x, RecurrentState start)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var training = model.training;
        model.eval();
        try
        {
            var (atenLogits, atenNext) = model.Forward(x, start);
            Tensor oneDnnLogits;
            RecurrentState oneDnnNext;
            using (LstmKernel.OneDnnOn()) (oneDnnLogits, oneDnnNext) = model.Forward(x, start);
            return Judge(x, "validation pass", atenLogits, atenNext, oneDnnLogits, oneDnnNext, null);
        }
        finally
        {
            model.train(training);
        }
    }

    private Verdict Judge(Tensor x, string pass, Tensor atenLogits, RecurrentState aten, Tensor oneDnnLogits, RecurrentState oneDnn, double? gradientDifference)
    {
        var logitDifference = (atenLogits - oneDnnLogits).abs().max().item<float>();
        var stateDifference = Math.Max((aten.H - oneDnn.H).abs().max().item<float>(), (aten.C! - oneDnn.C!).abs().max().item<float>());
        var agrees = logitDifference <= StateTolerance * _tolerance && stateDifference <= StateTolerance * _tolerance
                     && (gradientDifference ?? 0) <= GradientTolerance * _tolerance;
        var gradients = gradientDifference is { } g
            ? string.Create(CultureInfo.InvariantCulture, $", gradients by {g:0.0e0} of their norm (tolerances {StateTolerance * _tolerance:0.0e0}, {GradientTolerance * _tolerance:0.0e0})")
            : string.Create(CultureInfo.InvariantCulture, $" (tolerance {StateTolerance * _tolerance:0.0e0})");
        var figures = string.Create(CultureInfo.InvariantCulture, $"logits differ by {logitDifference:0.0e0}, final state by {stateDifference:0.0e0}{gradients}");
        var shape = $"LSTM {_cell.Layers}x{_cell.Hidden} {pass}, batch {x.shape[0]} x {x.shape[1]} steps, {get_num_threads()} threads";
        return agrees
            ? new Verdict(true, $"oneDNN: it agrees with ATen on {shape}: {figures}")
            : new Verdict(false, $"ATen: oneDNN disagrees with it on {shape}: {figures}");
    }
}
