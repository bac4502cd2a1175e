using System.Diagnostics;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Bench;

/// <summary>Gate extraction against the fused forward pass, and sampling speed of a 3x512 LSTM.</summary>
public static class AnalysisBench
{
    public static void Run(BenchArgs a)
    {
        var threads = a.Int("threads", Environment.ProcessorCount);
        var repeats = a.Int("repeats", 3);
        var sampleLength = a.Int("sample-length", 2000);
        torch.set_num_threads(threads);

        foreach (var (layers, hidden) in new[] { (2, 128), (3, 512) })
        {
            var t = AnalysisBenchmarks.ExtractionRatio(ModelType.Lstm, layers, hidden, vocabularySize: 65, repeats: repeats);
            new BenchFigure("3 analysis", $"LSTM {layers}x{hidden} gate extraction / fused", t.Ratio, "x slower", "", null,
                $"AnalysisBenchmarks.ExtractionRatio: {t.Streams} streams x {t.Steps} steps, V=65, best of {repeats} after a warm-up, {threads} threads; " +
                $"extraction {t.ExtractionCharsPerSecond:N0} chars/s, fused forward {t.FusedCharsPerSecond:N0} chars/s").Print();
        }

        SamplingCeiling(threads);

        var text = BenchText.Generate(100_000);
        var vocabulary = Vocabulary.Build(text, VocabularyKinds.Chars);
        manual_seed(1);
        using var model = new CharRnn(ModelType.Lstm, 3, 512, vocabulary.Size, oneHot: true, dropoutRate: 0);
        model.eval();
        var options = new SamplingOptions { Length = sampleLength, Method = SamplingMethod.Multinomial, Temperature = 1, PrimeText = "The ", Seed = 7 };
        foreach (var sampleThreads in new[] { threads, 1 }.Distinct())
        {
            torch.set_num_threads(sampleThreads);
            Sampler.Sample(model, vocabulary, options with { Length = 50 });               // warm-up
            var clock = Stopwatch.StartNew();
            var sample = Sampler.Sample(model, vocabulary, options);
            var rate = sample.Length / clock.Elapsed.TotalSeconds;
            new BenchFigure("3 analysis", $"LSTM 3x512 sampling ({sampleThreads} thread{(sampleThreads == 1 ? "" : "s")})", rate, "chars/s", ">= 2,000", rate >= 2000,
                $"Sampler.Sample, multinomial T=1, {sampleLength} chars one step at a time with the state carried, batch 1, {sampleThreads} torch threads, after a 50-char warm-up").Print();
        }
    }

    /// <summary>
    /// What one sampling step must at least cost: a 3x512 LSTM step at batch 1 is five matrix-vector products over
    /// 20 MB of weights (W_hh of three layers, W_ih of the upper two), which no cache holds, so memory bandwidth
    /// sets a ceiling on characters per second whatever the code around it does.
    /// </summary>
    private static void SamplingCeiling(int threads)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var weights = Enumerable.Range(0, 5).Select(_ => randn(2048, 512)).ToArray();   // 5 x (4 H, H)
        var h = randn(512);
        foreach (var w in weights) mv(w, h);                                              // warm-up
        const int steps = 300;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < steps; i++)
        {
            foreach (var w in weights) h = mv(w, h)[..512].tanh();
        }
        var seconds = clock.Elapsed.TotalSeconds / steps;
        var bytes = weights.Sum(w => w.numel()) * sizeof(float);
        new BenchFigure("3 analysis", "LSTM 3x512 sampling ceiling (memory)", 1 / seconds, "chars/s", "", null,
            $"5 matrix-vector products 2048x512 per step (the weights one 3x512 step reads, {bytes / 1e6:0.0} MB), {threads} threads: " +
            $"{seconds * 1000:0.00} ms per step, {bytes / seconds / 1e9:0.0} GB/s").Print();
    }
}
