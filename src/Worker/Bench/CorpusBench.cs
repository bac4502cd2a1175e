using System.Diagnostics;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Bench;

/// <summary>
/// Memory on a large corpus through the real pipeline: bytes -> Vocabulary.Build -> Encode -> CorpusSplits -> Trainer,
/// with epochChars limiting the epoch, then a checkpoint. Peak resident memory is the kernel's VmHWM of this process.
/// </summary>
public static class CorpusBench
{
    public static void Run(BenchArgs a)
    {
        var megabytes = a.Int("megabytes", 200);
        var threads = a.Int("threads", Environment.ProcessorCount);
        torch.set_num_threads(threads);
        var clock = Stopwatch.StartNew();
        var hp = new Hyperparameters
        {
            BatchSize = 128, SeqLength = 70, Input = InputEncodings.OneHot, EpochChars = 128 * 70 * 10, MaxEpochs = 1000, Patience = 1000,
            // Validation is a full pass every epoch: 0.5% of 200 MB keeps it at about a million characters.
            TrainFraction = 0.99, ValFraction = 0.005, TestFraction = 0.005,
        };
        CorpusSplits splits;
        {
            var bytes = BenchText.Generate(megabytes * 1_000_000L);
            var vocabulary = Vocabulary.Build(bytes, hp.Vocabulary);
            splits = CorpusSplits.From(vocabulary.Encode(bytes), vocabulary.Size, hp);
        }
        var prepared = clock.Elapsed.TotalSeconds;
        var cell = new CellSpec(ModelType.Lstm, 1, 128, hp);
        using var trainer = new Trainer(cell, splits, CPU);
        var report = trainer.RunEpoch(CancellationToken.None);
        var checkpoint = trainer.SaveCheckpoint();
        var peak = ProcessMemory.PeakResidentBytes() / 1e9;
        new BenchFigure("7 memory", $"{megabytes} MB corpus, peak resident", peak, "GB", "< 2", peak < 2,
            $"generated {megabytes} MB -> Vocabulary.Build -> Encode -> CorpusSplits (99/0.5/0.5) in {prepared:0.0} s, then LSTM 1x128 RunEpoch with epochChars {hp.EpochChars:N0} " +
            $"(train {report.CharsPerSecond:N0} chars/s, validation over {splits.Validation.Length:N0} chars) and SaveCheckpoint ({checkpoint.ModelState.Length / 1e3:0} kB); total {clock.Elapsed.TotalSeconds:0.0} s").Print();
    }
}
