using RnnSweep.Shared.Diagnostics;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

/// <summary>
/// The float32 LSTM's kernel: oneDNN only where it agrees with ATen on the shape, and a pass on the chosen kernel
/// computes ATen's values within the product's own tolerances (TrainingKernel.StateTolerance, GradientTolerance).
/// </summary>
public class TrainingKernelTests
{
    [Theory]
    [InlineData(1, 12, 30)]
    [InlineData(1, 24, 30)]
    [InlineData(2, 24, 30)]
    [InlineData(3, 40, 17)]
    public void StepOnTheChosenKernel_GivesAtensLossAndGradients(int layers, int hidden, int steps)
    {
        var (text, v) = TestCorpus.Generate(4000);
        var cell = new CellSpec(ModelType.Lstm, layers, hidden, TestCorpus.SmallRun);
        using var model = Trainer.CreateInitialModel(cell, v, CPU);
        model.train();
        using var scope = NewDisposeScope();
        var (x, y) = TextBatches.FromStreams(text, 6, 0, steps, CPU);
        manual_seed(3);
        var start = new RecurrentState(randn(layers, 6, hidden) * 0.5, randn(layers, 6, hidden) * 0.5); // a carried state, not zeros

        var verdict = new TrainingKernel(cell, v).ForStep(model, x, y, start);
        var aten = Step(model, x, y, start, oneDnn: false);
        var chosen = Step(model, x, y, start, verdict.OneDnn);

        Assert.False(LstmKernel.OneDnnEnabled);
        Assert.True(Math.Abs(aten.Loss - chosen.Loss) <= TrainingKernel.StateTolerance, $"{verdict.Reason}: loss {aten.Loss} against {chosen.Loss}");
        foreach (var (a, c) in aten.Grads.Zip(chosen.Grads))
        {
            var relative = (a - c).norm().item<float>() / a.norm().item<float>();
            Assert.True(relative <= TrainingKernel.GradientTolerance, $"{verdict.Reason}: a gradient differs by {relative} of its norm");
        }
    }

    [Theory]
    [InlineData(1, 12, 5, 40)]   // where oneDNN's pass without autograd is wrong on AVX-512 processors (docs/lstm-kernel.md)
    [InlineData(2, 64, 16, 40)]
    [InlineData(3, 40, 7, 33)]
    public void ValidationOnTheChosenKernel_GivesAtensLogitsAndState(int layers, int hidden, int batch, int steps)
    {
        var (text, v) = TestCorpus.Generate(40000);
        var cell = new CellSpec(ModelType.Lstm, layers, hidden, TestCorpus.SmallRun);
        using var model = Trainer.CreateInitialModel(cell, v, CPU);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        var (x, _) = TextBatches.FromStreams(text, batch, 0, steps, CPU);
        var start = model.ZeroState(batch, CPU);

        var verdict = new TrainingKernel(cell, v).ForValidation(model, x, start);
        var (atenLogits, aten) = model.Forward(x, start);
        Tensor logits;
        RecurrentState chosen;
        using (verdict.OneDnn ? LstmKernel.OneDnnOn() : null) (logits, chosen) = model.Forward(x, start);

        Assert.Contains($"LSTM {layers}x{hidden} validation pass, batch {batch} x {steps} steps", verdict.Reason);
        Assert.True((atenLogits - logits).abs().max().item<float>() <= TrainingKernel.StateTolerance, $"{verdict.Reason}: logits differ by {(atenLogits - logits).abs().max().item<float>()}");
        Assert.True((aten.C! - chosen.C!).abs().max().item<float>() <= TrainingKernel.StateTolerance, verdict.Reason);
        Assert.False(LstmKernel.OneDnnEnabled);
    }

    [Fact]
    public void AnyDifferenceBeyondTheTolerance_KeepsAten_AndSaysWhy()
    {
        var (text, v) = TestCorpus.Generate(4000);
        var cell = new CellSpec(ModelType.Lstm, 2, 24, TestCorpus.SmallRun);
        using var model = Trainer.CreateInitialModel(cell, v, CPU);
        using var scope = NewDisposeScope();
        var (x, y) = TextBatches.FromStreams(text, 6, 0, 30, CPU);
        using var start = model.ZeroState(6, CPU);

        var strict = new TrainingKernel(cell, v, tolerance: 0).ForStep(model, x, y, start); // nothing but bitwise equality agrees
        var usual = new TrainingKernel(cell, v).ForStep(model, x, y, start);

        // Two kernels that sum in different orders differ somewhere; only bit-identical results pass a zero tolerance.
        Assert.True(!strict.OneDnn || strict.Reason.Contains("differ by 0.0e0, final state by 0.0e0, gradients by 0.0e0", StringComparison.Ordinal), strict.Reason);
        if (!strict.OneDnn) Assert.StartsWith("ATen: oneDNN disagrees with it on LSTM 2x24 training step, batch 6 x 30 steps", strict.Reason);
        Assert.Matches("^(oneDNN: it agrees|ATen: oneDNN disagrees) with", usual.Reason);
    }

    [Fact]
    public void TheCheck_LeavesTheModelItsGradientsAndTheRandomGeneratorAsItFoundThem()
    {
        var (text, v) = TestCorpus.Generate(4000);
        var cell = new CellSpec(ModelType.Lstm, 2, 20, TestCorpus.SmallRun with { Dropout = 0.3 });
        using var model = Trainer.CreateInitialModel(cell, v, CPU);
        using var scope = NewDisposeScope();
        var (x, y) = TextBatches.FromStreams(text, 5, 0, 23, CPU);
        using var start = model.ZeroState(5, CPU);
        var weights = model.parameters().Select(p => p.detach().clone()).ToArray();
        manual_seed(11);
        var expectedDraw = rand(4);
        manual_seed(11);

        var verdict = new TrainingKernel(cell, v).ForStep(model, x, y, start);

        Assert.Contains("LSTM 2x20 training step, batch 5 x 23 steps", verdict.Reason);
        Assert.Equal(expectedDraw.data<float>().ToArray(), rand(4).data<float>().ToArray());
        Assert.All(model.parameters().Zip(weights), p => Assert.Equal(0f, (p.First - p.Second).abs().max().item<float>()));
        Assert.All(model.parameters(), p => Assert.True(p.grad is null || p.grad.abs().max().item<float>() == 0));
        Assert.False(LstmKernel.OneDnnEnabled);
    }

    [Fact]
    public void ChosenAten_IsSaidAndRecorded_SoTheRunResumesOnAten()
    {
        var (text, v) = TestCorpus.Generate(4000);
        var cell = new CellSpec(ModelType.Lstm, 1, 16, TestCorpus.SmallRun);
        using var model = Trainer.CreateInitialModel(cell, v, CPU);
        using var scope = NewDisposeScope();
        var (x, y) = TextBatches.FromStreams(text, 4, 0, 10, CPU);
        using var start = model.ZeroState(4, CPU);
        var forced = new TrainingKernel(cell, v, choice: LstmKernelChoice.Aten);

        var verdict = forced.ForStep(model, x, y, start);
        var resumed = new TrainingKernel(cell, v, forced.Decisions, choice: LstmKernelChoice.Auto).ForStep(model, x, y, start);

        Assert.False(verdict.OneDnn);
        Assert.Equal($"ATen: RNNSWEEP_LSTM_KERNEL=aten (LSTM 1x16 training step, batch 4 x 10 steps, {get_num_threads()} threads)", Assert.Single(forced.TakeNotes()));
        Assert.Equal(new Dictionary<string, bool> { [$"training step, batch 4 x 10 steps, {get_num_threads()} threads"] = false }, forced.Decisions);
        Assert.False(resumed.OneDnn);
        Assert.Contains("stays there to continue exactly", resumed.Reason);
    }

    [Fact]
    public void OtherCells_TrainOnAten_WithoutACheck()
    {
        var (text, v) = TestCorpus.Generate(4000);
        var cell = new CellSpec(ModelType.Gru, 1, 16, TestCorpus.SmallRun);
        using var model = Trainer.CreateInitialModel(cell, v, CPU);
        using var scope = NewDisposeScope();
        var (x, y) = TextBatches.FromStreams(text, 4, 0, 10, CPU);
        using var start = model.ZeroState(4, CPU);

        Assert.Equal(new TrainingKernel.Verdict(false, "libtorch's own: not a float32 LSTM on the CPU"), new TrainingKernel(cell, v).ForStep(model, x, y, start));
    }

    [Theory]
    [InlineData(null, LstmKernelChoice.Auto)]
    [InlineData("", LstmKernelChoice.Auto)]
    [InlineData("auto", LstmKernelChoice.Auto)]
    [InlineData("aten", LstmKernelChoice.Aten)]
    public void Parse_TakesTheKnownChoices(string? value, string expected) => Assert.Equal(expected, LstmKernelChoice.Parse(value));

    [Theory]
    [InlineData("onednn")]
    [InlineData("ATEN")]
    [InlineData(" aten")]
    public void Parse_RefusesAnythingElse_NamingTheVariable(string value)
    {
        var e = Assert.Throws<ValidationException>(() => LstmKernelChoice.Parse(value));
        Assert.Equal($"RNNSWEEP_LSTM_KERNEL: must be auto (the default: oneDNN where it agrees with ATen) or aten, not '{value}'", e.Message);
    }

    [Fact]
    public void Trainer_NamesEachShapesKernel_AndLeavesOneDnnOffAfterAnEpoch()
    {
        var hp = TestCorpus.SmallRun with { MaxEpochs = 1 };
        var cell = new CellSpec(ModelType.Lstm, 2, 16, hp);
        using var trainer = new Trainer(cell, TestCorpus.Splits(hp), CPU);

        trainer.RunEpoch(CancellationToken.None);

        var notes = trainer.TakeKernelNotes();
        Assert.Contains(notes, n => System.Text.RegularExpressions.Regex.IsMatch(n, "^(oneDNN: it agrees with ATen|ATen: oneDNN disagrees with it) on LSTM 2x16 training step, batch 8 x 16 steps"));
        Assert.Contains(notes, n => System.Text.RegularExpressions.Regex.IsMatch(n, "^(oneDNN: it agrees with ATen|ATen: oneDNN disagrees with it) on LSTM 2x16 validation pass, batch 8 x"));
        Assert.Empty(trainer.TakeKernelNotes());                                   // each decision is said once
        Assert.False(LstmKernel.OneDnnEnabled);
    }

    [Fact]
    public void AResumedRun_KeepsTheKernelsItsCheckpointNames()
    {
        var hp = TestCorpus.SmallRun with { MaxEpochs = 3 };
        var cell = new CellSpec(ModelType.Lstm, 2, 32, hp);
        var splits = TestCorpus.Splits(hp);
        CheckpointData checkpoint;
        double straight;
        using (var trainer = new Trainer(cell, splits, CPU))
        {
            trainer.RunEpoch(CancellationToken.None);
            checkpoint = trainer.SaveCheckpoint();
            straight = trainer.RunEpoch(CancellationToken.None).TrainLoss;
        }
        var state = TrainerState.FromJson(checkpoint.TrainerStateJson);
        Assert.NotNull(state.LstmKernels);
        Assert.Contains($"training step, batch 8 x 16 steps, {get_num_threads()} threads", state.LstmKernels!.Keys);

        double Resumed(TrainerState s, out IReadOnlyList<string> notes)
        {
            using var trainer = new Trainer(cell, splits, CPU, checkpoint with { TrainerStateJson = s.ToJson() });
            var loss = trainer.RunEpoch(CancellationToken.None).TrainLoss;
            notes = trainer.TakeKernelNotes();
            return loss;
        }
        var same = Resumed(state, out _);
        var aten = Resumed(state with { LstmKernels = state.LstmKernels.ToDictionary(k => k.Key, _ => false) }, out var atenNotes);
        var older = Resumed(state with { LstmKernels = null }, out var olderNotes);   // a checkpoint from before the choice

        Assert.Equal(straight, same);                                                    // bit for bit: the same kernels
        Assert.All(atenNotes.Concat(olderNotes), n => Assert.Contains("on ATen before its checkpoint, and stays there to continue exactly", n));
        Assert.Equal(aten, older);
        // Where this machine trained on oneDNN, ATen's arithmetic gives another loss: the decisions were followed.
        if (state.LstmKernels.Values.Any(oneDnn => oneDnn)) Assert.NotEqual(same, aten);
    }

    [Fact]
    public void AValidationPass_RunsOnTheKernelItsDecisionNames()
    {
        var (text, v) = TestCorpus.Generate(20000);
        var cell = new CellSpec(ModelType.Lstm, 1, 64, TestCorpus.SmallRun);
        using var model = Trainer.CreateInitialModel(cell, v, CPU);

        var aten = EvaluationPass.Run(model, text, 8, 30, CPU).Loss;
        var refused = EvaluationPass.Run(model, text, 8, 30, CPU, kernel: new TrainingKernel(cell, v, tolerance: 0)).Loss;
        var anything = new TrainingKernel(cell, v, tolerance: 1e12);                    // agrees with whatever oneDNN computes
        var oneDnn = EvaluationPass.Run(model, text, 8, 30, CPU, kernel: anything).Loss;

        Assert.Equal(aten, refused);
        Assert.True(anything.Decisions.Values.All(d => d));
        Assert.NotEqual(aten, oneDnn);                                                   // another kernel's arithmetic: it ran
        Assert.True(Math.Abs(aten - oneDnn) < 1e-4, $"{aten} against {oneDnn}");
        Assert.False(LstmKernel.OneDnnEnabled);
    }

    private static (double Loss, Tensor[] Grads) Step(CharRnn model, Tensor x, Tensor y, RecurrentState start, bool oneDnn)
    {
        model.zero_grad();
        using var kernel = oneDnn ? LstmKernel.OneDnnOn() : null;
        var (logits, _) = model.Forward(x, start);
        var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1));
        loss.backward();
        return (loss.item<float>(), model.parameters().Select(p => p.grad!.clone()).ToArray());
    }
}
