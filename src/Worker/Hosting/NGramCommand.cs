using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Training;

namespace RnnSweep.Worker.Hosting;

/// <summary>
/// <c>RnnSweep.Worker ngram FILE [--preset-split paper|contiguous] [--order N] [--smoothing kneser-ney|witten-bell|absolute] [--memory BYTES]</c>:
/// the n-gram baseline of a text file on the splits a sweep would use, printed per order; the figures in
/// docs/results.md come from it. <c>paper</c> (the default) is char-rnn's loader as the <c>paper</c> preset sets
/// it: bytes, 100 streams, 80/10/10 of each; <c>contiguous</c>: code points, 90/5/5 from the start. Writes nothing.
/// </summary>
public static class NGramCommand
{
    public const string Verb = "ngram";

    public const string PaperSplit = "paper";
    public const string ContiguousSplit = "contiguous";

    /// <param name="file">A text file (read as bytes, split as a sweep would).</param>
    /// <param name="split"><see cref="PaperSplit"/> or <see cref="ContiguousSplit"/>.</param>
    /// <param name="order">Highest n-gram order, 1 to 64.</param>
    /// <param name="memory">Bytes the counts may use; it stops at the highest order that fits.</param>
    public static int Run(string file, string split, int order, NGramSmoothing smoothing, long memory)
    {
        var hp = split == PaperSplit
            ? new Hyperparameters { Vocabulary = "bytes", SplitLayout = "streams", BatchSize = 100, SeqLength = 100, TrainFraction = 0.8, ValFraction = 0.1, TestFraction = 0.1 }
            : new Hyperparameters();
        var content = File.ReadAllBytes(file);
        var vocabulary = Vocabulary.Build(content, hp.Vocabulary);
        var splits = CorpusSplits.From(vocabulary.Encode(content), vocabulary.Size, hp);
        var report = NGramModel.Run(splits.Train, splits.Test, vocabulary.Size, order, memory, smoothing);
        Console.WriteLine($"# {Path.GetFileName(file)}: {content.Length} bytes, {vocabulary.Size} {hp.Vocabulary}; train {splits.Train.Length}, test {splits.Test.Length} symbols " +
            $"in {splits.Test.Segments} segment(s); {report.Smoothing}; {report.EstimatedBytes >> 20} MiB; train {report.TrainSeconds:0.0} s, test {report.EvaluateSeconds:0.0} s" +
            (report.StopReason is null ? "" : $"; stopped: {report.StopReason}"));
        Console.WriteLine("order\ttest nats/symbol\tbits/symbol");
        foreach (var loss in report.Losses) Console.WriteLine($"{loss.Order}\t{loss.CrossEntropy:0.0000}\t{loss.CrossEntropy / Math.Log(2):0.0000}");
        return 0;
    }
}
