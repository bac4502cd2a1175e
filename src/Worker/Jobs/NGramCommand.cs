using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Training;

namespace RnnSweep.Worker.Jobs;

/// <summary>
/// <c>RnnSweep.Worker ngram FILE [--preset-split paper|contiguous] [--order N] [--smoothing kneser-ney|witten-bell|absolute] [--memory BYTES]</c>:
/// the n-gram baseline of a text file on the splits a sweep would use, printed per order; the figures in
/// docs/results.md come from it. <c>paper</c> (the default) is char-rnn's loader as the <c>paper</c> preset sets
/// it: bytes, 100 streams, 80/10/10 of each; <c>contiguous</c>: code points, 90/5/5 from the start. Writes nothing.
/// </summary>
public static class NGramCommand
{
    public const string Verb = "ngram";

    public static int Run(string[] args)
    {
        string? file = null;
        var split = "paper";
        var order = NGramBaselineJob.MaxOrder;
        var smoothing = NGramSmoothing.ModifiedKneserNey;
        var memory = new Hosting.WorkerOptions().NGramMemoryBytes;
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--preset-split": split = Value(); break;
                    case "--order": order = int.Parse(Value()); break;
                    case "--smoothing": smoothing = NGramSmoothingNames.Parse(Value()); break;
                    case "--memory": memory = long.Parse(Value()); break;
                    default:
                        if (file is not null || args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}'");
                        file = args[i];
                        break;
                }
            }
            if (file is null) throw new ArgumentException("name a text file");
            if (split is not ("paper" or "contiguous")) throw new ArgumentException($"--preset-split must be paper or contiguous, not '{split}'");
            if (order is < 1 or > 64) throw new ArgumentException($"--order must be between 1 and 64, not {order}");
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine($"{e.Message}\nusage: RnnSweep.Worker {Verb} FILE [--preset-split paper|contiguous] [--order N] [--smoothing kneser-ney|witten-bell|absolute] [--memory BYTES]");
            return 2;
        }

        var hp = split == "paper"
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
