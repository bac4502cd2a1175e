using System.Diagnostics;
using RnnSweep.Shared.Domain;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Training;

/// <summary>
/// Trains one grid cell epoch by epoch: truncated BPTT, early stopping on validation loss, divergence
/// detection, and checkpoints at epoch boundaries that continue bit-exactly on CPU.
/// Why one trainer per process at a time: torch's default generator (dropout) is process-global.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly CellSpec _cell;
    private Hyperparameters _hp;
    private readonly CorpusSplits _splits;
    private readonly Device _device;
    private readonly CharRnn _model;
    private readonly OptimizerHelper _optimizer;
    /// <summary>The bfloat16 working copy of <c>precision: bfloat16</c> runs; null for float32.</summary>
    private readonly BFloat16Step? _bf16;
    /// <summary>The run's kernel decisions (float32 LSTM on the CPU), carried in its checkpoints.</summary>
    private TrainingKernel _kernels;

    private double _learningRate;
    private int _epochsWithoutImprovement;
    private double? _firstBatchLoss;
    private long _streamPosition;
    private double _lastValLoss = double.NaN;
    /// <summary>The train split as streams (carried-state runs) and the validation split, made at the first epoch
    /// and let go when training stops (the final evaluation makes its own).</summary>
    private TextStreams? _trainStreams, _validationStreams;

    /// <param name="resumeFrom">The run's latest checkpoint, to continue exactly where it stopped. A checkpoint
    /// without optimizer state (a best checkpoint) restores the model and schedule with fresh optimizer moments, so
    /// the continuation is not exact; the product resumes only from latest ones.</param>
    public Trainer(CellSpec cell, CorpusSplits splits, Device device, CheckpointData? resumeFrom = null)
    {
        _cell = cell;
        _hp = cell.Hyperparameters;
        _splits = splits;
        _device = device;

        _model = CreateInitialModel(cell, splits.VocabularySize, device);
        _optimizer = OptimizerFactory.Create(_hp, _model.parameters());
        if (_hp.IsBFloat16) _bf16 = new BFloat16Step(_model, CreateModel(cell, splits.VocabularySize, device));
        _learningRate = _hp.LearningRate;
        BestValLoss = double.PositiveInfinity;
        _kernels = new TrainingKernel(cell, splits.VocabularySize);

        if (resumeFrom is not null)
        {
            Restore(resumeFrom);
            CapEpochs(_hp.MaxEpochs); // the run's cap may have been raised since the checkpoint ('rnnsweep resume --max-epochs')
        }
    }

    /// <summary>
    /// Sets the epoch cap: a run stopped by a lower cap continues, one past a lower cap stops. Other stops
    /// (early stopping, divergence) stand.
    /// </summary>
    public void CapEpochs(int maxEpochs)
    {
        _hp = _hp with { MaxEpochs = maxEpochs };
        if (Stop == TrainingStop.MaxEpochs && Epoch < maxEpochs) (Stop, StopReason) = (TrainingStop.None, null);
        else if (Stop == TrainingStop.None && Epoch >= maxEpochs) (Stop, StopReason) = (TrainingStop.MaxEpochs, MaxEpochsReason);
    }

    private string MaxEpochsReason => StopReasons.MaxEpochs(_hp.MaxEpochs);

    public long ParameterCount => _model.ParameterCount;

    /// <summary>Why each shape's training steps and validation batches run on the kernel they do (<see cref="TrainingKernel"/>),
    /// for the decisions taken since the last call: one line each, for the run's log.</summary>
    public IReadOnlyList<string> TakeKernelNotes() => _kernels.TakeNotes();
    public TrainingStop Stop { get; private set; }
    public string? StopReason { get; private set; }
    /// <summary>Epochs completed.</summary>
    public int Epoch { get; private set; }
    public int BestEpoch { get; private set; }
    public double BestValLoss { get; private set; }

    /// <summary>
    /// The run's weights before training: seeded before they are drawn, so the same seed gives the same initial model
    /// (the interpretable-unit analysis reads it as its untrained null).
    /// </summary>
    internal static CharRnn CreateInitialModel(CellSpec cell, int vocabularySize, Device device)
    {
        manual_seed(cell.Hyperparameters.Seed);
        return CreateModel(cell, vocabularySize, device);
    }

    internal static CharRnn CreateModel(CellSpec cell, int vocabularySize, Device device)
    {
        var model = new CharRnn(cell.Model, cell.Layers, cell.Hidden, vocabularySize,
            cell.Hyperparameters.IsOneHot, cell.Hyperparameters.Dropout);
        if (cell.Hyperparameters.Init == WeightInits.Uniform) InitialiseUniform(model, cell.Hyperparameters.InitRange);
        model.to(device);
        return model;
    }

    /// <summary>
    /// char-rnn's initialisation (train.lua): every parameter uniform(-range, range), then the LSTM's forget-gate
    /// biases of the input-to-hidden product (rows H..2H of PyTorch's bias_ih, gate order i, f, g, o) set to 1.
    /// </summary>
    internal static void InitialiseUniform(CharRnn model, double range)
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            parameter.uniform_(-range, range);
            if (name.StartsWith("lstm.bias_ih_l", StringComparison.Ordinal))
            {
                var hidden = parameter.shape[0] / 4;
                parameter[TensorIndex.Slice(hidden, 2 * hidden)].fill_(1.0);
            }
        }
    }

    /// <summary>One epoch of training and a full validation pass (dropout off). Sets <see cref="Stop"/> when done.</summary>
    public EpochReport RunEpoch(CancellationToken ct)
    {
        if (Stop != TrainingStop.None) throw new InvalidOperationException($"training has stopped: {StopReason}");
        var epoch = Epoch + 1;
        var clock = Stopwatch.StartNew();
        var learningRate = _learningRate;
        OptimizerFactory.SetLearningRate(_optimizer, learningRate);

        var train = TrainEpoch(epoch, ct);
        var trainSeconds = clock.Elapsed.TotalSeconds;
        if (Stop == TrainingStop.Diverged)
        {
            ReleaseStreams();
            return new EpochReport(epoch, train.Loss, double.NaN, double.NaN, learningRate, train.GradNorm,
                train.Chars / trainSeconds, clock.Elapsed.TotalSeconds, IsBest: false);
        }

        // A bfloat16 run validates on its bfloat16 copy (the precision it trains at); the final losses are float32.
        _validationStreams ??= EvaluationPass.Batches(_splits.Validation, _hp.BatchSize);
        var (valLoss, valAccuracy) = _bf16 is not null
            ? _bf16.Validate(_splits.Validation, _hp.BatchSize, _hp.SeqLength, _device, _validationStreams)
            : EvaluationPass.Run(_model, _splits.Validation, _hp.BatchSize, _hp.SeqLength, _device, kernel: _kernels, batches: _validationStreams);
        _lastValLoss = valLoss;
        Epoch = epoch;
        _learningRate = OptimizerFactory.Decayed(_hp, epoch, learningRate);

        var isBest = valLoss < BestValLoss - _hp.MinImprovement;
        if (!double.IsFinite(valLoss))
        {
            Stop = TrainingStop.Diverged;
            StopReason = $"validation loss {valLoss} at epoch {epoch}";
            isBest = false;
        }
        else if (isBest)
        {
            (BestEpoch, BestValLoss, _epochsWithoutImprovement) = (epoch, valLoss, 0);
        }
        else if (++_epochsWithoutImprovement >= _hp.Patience)
        {
            Stop = TrainingStop.EarlyStopped;
            StopReason = $"validation loss did not improve by {_hp.MinImprovement} for {_hp.Patience} epochs";
        }
        if (Stop == TrainingStop.None && Epoch >= _hp.MaxEpochs)
        {
            Stop = TrainingStop.MaxEpochs;
            StopReason = MaxEpochsReason;
        }

        if (Stop != TrainingStop.None) ReleaseStreams();
        return new EpochReport(epoch, train.Loss, valLoss, valAccuracy, learningRate, train.GradNorm,
            train.Chars / trainSeconds, clock.Elapsed.TotalSeconds, isBest);
    }

    /// <summary>Frees the splits' native copies (made again if training goes on, e.g. after a raised epoch cap).</summary>
    private void ReleaseStreams()
    {
        _trainStreams?.Dispose();
        _validationStreams?.Dispose();
        (_trainStreams, _validationStreams) = (null, null);
    }

    /// <summary>
    /// A random window's first input. In a <c>streams</c>-layout split it stays inside one stream's segment, so no
    /// window reads across the cut between two streams.
    /// </summary>
    internal static long WindowStart(EncodedText text, int steps, ref SplitMix64 random)
    {
        if (text.Segments == 1) return random.NextBelow(text.Length - steps);
        var segment = text.Length / text.Segments;
        return random.NextBelow(text.Segments) * segment + random.NextBelow(segment - steps);
    }

    private (double Loss, double GradNorm, long Chars) TrainEpoch(int epoch, CancellationToken ct)
    {
        var streams = _hp.BatchSize;
        var steps = _hp.SeqLength;
        var text = _splits.Train;
        var charsPerBatch = (long)streams * steps;
        var streamLength = TextBatches.StreamLength(text, streams);

        // Carried state: one epoch is a full pass over the streams, or epochChars' worth continuing where the
        // previous epoch stopped. Stateless windows: as many batches as the split (or epochChars) holds.
        long batches = _hp.CarryState && _hp.EpochChars is null
            ? (streamLength + steps - 1) / steps
            : Math.Max(1, (_hp.EpochChars ?? text.Length - 1) / charsPerBatch);
        var position = _hp.EpochChars is null ? 0 : _streamPosition;
        var windows = SplitMix64.For(_hp.Seed, epoch);

        _model.train();
        double lossSum = 0, normSum = 0;
        long chars = 0;
        // why: char-rnn and the paper carry the hidden state across batches (truncated BPTT); it is reset at
        // each epoch start so a checkpoint at the epoch boundary needs no hidden state to resume exactly.
        if (_hp.CarryState) _trainStreams ??= new TextStreams(text, streams);
        var carried = _hp.CarryState ? ZeroState(streams) : null;
        try
        {
            for (long batch = 1; batch <= batches; batch++)
            {
                ct.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();

                Tensor x, y;                                                    // (B, T)
                RecurrentState start;
                if (carried is not null)
                {
                    if (position >= streamLength)
                    {
                        // The streams are used up (epochChars runs): start them again from zero state.
                        position = 0;
                        carried.Dispose();
                        carried = ZeroState(streams);
                    }
                    var length = (int)Math.Min(steps, streamLength - position);
                    (x, y) = _trainStreams!.At(position, length, _device);
                    position += length;
                    start = carried;
                }
                else
                {
                    var starts = new long[streams];
                    for (var b = 0; b < streams; b++) starts[b] = WindowStart(text, steps, ref windows);
                    (x, y) = TextBatches.FromStarts(text, starts, steps, _device);
                    start = ZeroState(streams);                                 // disposed by the scope
                }

                // char-rnn sums the loss over the T time steps (mean over the batch): its gradient is T times the mean's.
                double lossScale = _hp.GradClipScale == GradClipScales.Sum ? x.shape[1] : 1;
                Tensor loss;
                RecurrentState next;
                _optimizer.zero_grad();
                if (_bf16 is not null)
                {
                    (loss, next) = _bf16.ForwardBackward(x, y, start, lossScale);
                }
                else
                {
                    using var kernel = _kernels.ForStep(_model, x, y, start).Enter();
                    Tensor logits;
                    (logits, next) = _model.Forward(x, start);                      // (B, T, V)
                    loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1));
                    (lossScale == 1 ? loss : loss * lossScale).backward();
                }
                var norm = ClipGradients();
                _optimizer.step();

                if (carried is not null)
                {
                    carried.Dispose();
                    carried = next.DetachToOuterScope();
                }

                var value = (double)loss.item<float>();
                var count = x.numel();
                lossSum += value * count;
                normSum += norm;
                chars += count;
                _firstBatchLoss ??= value;
                if (Diverged(value, epoch, batch)) return (lossSum / chars, normSum / batch, chars);
            }
        }
        finally
        {
            carried?.Dispose();
        }
        _streamPosition = _hp.EpochChars is null ? 0 : position;
        return (lossSum / chars, normSum / batches, chars);
    }

    /// <summary>The state at a stream's start, in the training step's type (bfloat16 for the working copy).</summary>
    private RecurrentState ZeroState(long streams) => _bf16?.ZeroState(streams, _device) ?? _model.ZeroState(streams, _device);

    /// <summary>char-rnn's test: NaN or infinite loss, or a loss above divergenceFactor x the run's first batch loss.</summary>
    private bool Diverged(double loss, int epoch, long batch)
    {
        if (!double.IsFinite(loss))
        {
            StopReason = $"loss {loss} at epoch {epoch} batch {batch}";
        }
        else if (loss > _hp.DivergenceFactor * _firstBatchLoss!.Value)
        {
            StopReason = $"loss {loss:G4} above {_hp.DivergenceFactor}x its first value {_firstBatchLoss:G4} at epoch {epoch} batch {batch}";
        }
        else
        {
            return false;
        }
        Stop = TrainingStop.Diverged;
        return true;
    }

    /// <returns>The total L2 norm of all gradients before clipping.</returns>
    private double ClipGradients()
    {
        var parameters = _model.parameters().ToArray();
        if (_hp.GradClip > 0 && _hp.GradClipMode != GradClipModes.Value) return ClipByNorm(parameters, _hp.GradClip);
        double norm;
        using (NewDisposeScope()) norm = TotalNorm(parameters.Select(p => p.grad).OfType<Tensor>()).item<float>();
        if (_hp.GradClip > 0) nn.utils.clip_grad_value_(parameters, _hp.GradClip);
        return norm;
    }

    /// <summary>
    /// libtorch's <c>clip_grad_norm_</c> (L2, the same coefficient max / (norm + 1e-6) in float32), except that the
    /// gradients are only rescaled when that coefficient is below 1. libtorch multiplies every gradient by the clamped
    /// coefficient, 1 included: a pass that reads and writes all of them (168 MB a batch at LSTM 3x512) and changes
    /// nothing, on the batches that do not reach the limit (most of them, with the paper's limit of 5).
    /// </summary>
    /// <param name="parameters">Parameters whose gradients are clipped in place; those without one are skipped.</param>
    /// <param name="max">The limit on the total L2 norm of all gradients; positive.</param>
    /// <returns>The total L2 norm of all gradients before clipping.</returns>
    internal static double ClipByNorm(IReadOnlyList<Tensor> parameters, double max)
    {
        using var scope = NewDisposeScope();
        var gradients = parameters.Select(p => p.grad).OfType<Tensor>().ToArray();
        if (gradients.Length == 0) return 0;
        var total = TotalNorm(gradients);
        var coefficient = max / (total + 1e-6);
        // Not "< 1": a NaN norm rescales every gradient to NaN, as libtorch's clamped multiply does.
        if (!(coefficient.item<float>() >= 1))
        {
            using (no_grad())
            {
                foreach (var g in gradients) g.mul_(coefficient);
            }
        }
        return total.item<float>();
    }

    /// <returns>The L2 norm of all <paramref name="gradients"/> together, a 0-dim float32 tensor.</returns>
    /// <remarks>Per-tensor norms, not squares: no gradient-sized temporaries (25 MB a batch at 3x512, in fresh pages).</remarks>
    private static Tensor TotalNorm(IEnumerable<Tensor> gradients) => stack(gradients.Select(g => g.norm())).norm();

    /// <summary>The <see cref="Shared.Domain.CheckpointKind.Latest"/> checkpoint: everything needed to continue exactly from this epoch boundary.</summary>
    /// <param name="reuse">An earlier checkpoint of this run that nothing reads any more (its commit has finished):
    /// its state arrays are overwritten with this one's where their sizes match, instead of allocating 65 MB of fresh
    /// memory at LSTM 3x512 (see <see cref="StateBytes"/>). It must not be used afterwards.</param>
    public CheckpointData SaveCheckpoint(CheckpointData? reuse = null)
    {
        var state = new TrainerState
        {
            Model = _cell.Model,
            Layers = _cell.Layers,
            Hidden = _cell.Hidden,
            VocabularySize = _splits.VocabularySize,
            Hyperparameters = _hp,
            Epoch = Epoch,
            LearningRate = _learningRate,
            BestEpoch = BestEpoch,
            BestValLoss = BestValLoss,
            EpochsWithoutImprovement = _epochsWithoutImprovement,
            FirstBatchLoss = _firstBatchLoss,
            StreamPosition = _streamPosition,
            RngState = Convert.ToBase64String(GetRngState()),
            LstmKernels = _kernels.Decisions,
            Stop = Stop,
            StopReason = StopReason,
        };
        return new CheckpointData(Epoch, _lastValLoss, SaveModelState(_model, reuse?.ModelState), SaveOptimizerState(reuse?.OptimizerState), state.ToJson());
    }

    private void Restore(CheckpointData checkpoint)
    {
        var state = TrainerState.FromJson(checkpoint.TrainerStateJson);
        if (state.Model != _cell.Model || state.Layers != _cell.Layers || state.Hidden != _cell.Hidden
            || state.VocabularySize != _splits.VocabularySize)
        {
            throw new ArgumentException(
                $"checkpoint is for {state.Model} {state.Layers}x{state.Hidden} over {state.VocabularySize} symbols, not {_cell.Model} {_cell.Layers}x{_cell.Hidden} over {_splits.VocabularySize}",
                nameof(checkpoint));
        }
        LoadModelState(_model, checkpoint.ModelState);
        if (checkpoint.OptimizerState.Length > 0)
        {
            using var reader = new BinaryReader(new MemoryStream(checkpoint.OptimizerState));
            _optimizer.load_state_dict(reader);
        }
        Epoch = state.Epoch;
        _learningRate = state.LearningRate;
        BestEpoch = state.BestEpoch;
        BestValLoss = state.BestValLoss;
        _epochsWithoutImprovement = state.EpochsWithoutImprovement;
        _firstBatchLoss = state.FirstBatchLoss;
        _streamPosition = state.StreamPosition;
        // A checkpoint from before the kernel choice trained every shape on ATen.
        _kernels = new TrainingKernel(_cell, _splits.VocabularySize, state.LstmKernels, atenUnlessSaved: state.LstmKernels is null);
        _lastValLoss = checkpoint.ValLoss;
        Stop = state.Stop;
        StopReason = state.StopReason;
        SetRngState(Convert.FromBase64String(state.RngState));
    }

    internal static byte[] SaveModelState(CharRnn model, byte[]? reuse = null) => StateBytes.Of(writer => model.save(writer), reuse);

    internal static void LoadModelState(CharRnn model, byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        model.load(reader);
    }

    private byte[] SaveOptimizerState(byte[]? reuse) => StateBytes.Of(writer => _optimizer.save_state_dict(writer), reuse);

    private static byte[] GetRngState()
    {
        using var state = get_rng_state();
        return state.data<byte>().ToArray();
    }

    private static void SetRngState(byte[] bytes)
    {
        using var state = tensor(bytes, ScalarType.Byte);
        set_rng_state(state);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _bf16?.Dispose();
        _model.Dispose();
        ReleaseStreams();
    }
}
