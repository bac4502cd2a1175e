using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

/// <summary>
/// <c>precision: bfloat16</c>: training steps on a bfloat16 copy with oneDNN on, everything else float32 with oneDNN
/// off. oneDNN's float32 LSTM is wrong in eval mode on AVX-512 CPUs (<see cref="LstmKernel"/>), so the switch must be
/// off again whenever float32 validation, sampling or analysis runs; checkpoints hold the float32 master weights, and
/// the epoch's validation runs on the bfloat16 copy.
/// </summary>
[Trait("Category", "Slow")]
public class BFloat16TrainingTests
{
    [Fact]
    public void RunEpoch_LearnsResumesExactlyAndLeavesOneDnnOff_WithBFloat16()
    {
        var hp = TestCorpus.SmallRun with { Precision = Precisions.BFloat16, Dropout = 0.2 };
        var cell = new CellSpec(ModelType.Lstm, 2, 16, hp);
        var splits = TestCorpus.Splits(hp);

        List<EpochReport> straight = [];
        CheckpointData checkpoint;
        using (var trainer = new Trainer(cell, splits, CPU))
        {
            for (var i = 0; i < 3; i++)
            {
                straight.Add(trainer.RunEpoch(CancellationToken.None));
                Assert.False(LstmKernel.OneDnnEnabled, "oneDNN stayed on after a bfloat16 epoch, so float32 passes after it would run through it");
            }
            checkpoint = trainer.SaveCheckpoint();
        }
        Assert.True(straight[2].ValLoss < straight[0].ValLoss - 0.05, $"validation loss went from {straight[0].ValLoss} to {straight[2].ValLoss}");

        CheckpointData first;
        using (var trainer = new Trainer(cell, splits, CPU))
        {
            trainer.RunEpoch(CancellationToken.None);
            first = trainer.SaveCheckpoint();
        }
        using (rand(100)) { }
        using (var resumed = new Trainer(cell, splits, CPU, first))
        {
            for (var i = 1; i < 3; i++)
            {
                var report = resumed.RunEpoch(CancellationToken.None);
                Assert.Equal(straight[i].TrainLoss, report.TrainLoss);
                Assert.Equal(straight[i].ValLoss, report.ValLoss);
            }
        }

        // The checkpoint is float32, and the trained model evaluated without autograd (as test evaluation, sampling and
        // analysis run it) agrees with the float64 equations at float32's tolerance: no oneDNN float32 LSTM ran.
        using var model = new CharRnn(ModelType.Lstm, 2, 16, splits.VocabularySize, oneHot: true, dropoutRate: 0);
        Trainer.LoadModelState(model, checkpoint.ModelState);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));

        // Validation ran on the bfloat16 copy of these weights: close to the float32 pass over the same split, not equal to it.
        var (float32Loss, _) = EvaluationPass.Run(model, splits.Validation, hp.BatchSize, hp.SeqLength, CPU);
        Assert.NotEqual(float32Loss, straight[2].ValLoss);
        Assert.True(Math.Abs(float32Loss - straight[2].ValLoss) < 0.02, $"bfloat16 validation {straight[2].ValLoss} against float32 {float32Loss}");
        model.eval();
        using var noGrad = no_grad();
        using var x = tensor(Enumerable.Range(0, 5 * 40).Select(i => (long)(i * 7 % splits.VocabularySize)).ToArray(), [5, 40]);
        using var zero = model.ZeroState(5, CPU);
        var (logits, _) = model.Forward(x, zero);
        var (expected, _, _) = FusedLstmTests.ByHand(model, x, splits.VocabularySize);
        var difference = logits.to_type(ScalarType.Float64).sub(expected).abs().max().item<double>();
        Assert.True(difference < 1e-5, $"the trained model's eval-mode logits differ from the equations by {difference}");
    }
}
