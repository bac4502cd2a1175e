using System.Diagnostics;
using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives; // a using of the namespace would make Tensor ambiguous
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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

        var text = BenchText.Generate(100_000);
        var vocabulary = Vocabulary.Build(text, VocabularyKinds.Chars);
        manual_seed(1);
        using var model = new CharRnn(ModelType.Lstm, 3, 512, vocabulary.Size, oneHot: true, dropoutRate: 0);
        model.eval();
        var options = new SamplingOptions { Length = sampleLength, Method = SamplingMethod.Multinomial, Temperature = 1, PrimeText = "The ", Seed = 7 };

        // Batch 1, float32 (the product's format): the sampler's managed step (SingleSampleStep, one thread) against the
        // fastest of three reads of the same bytes in this process: libtorch's matrix-vector products at one thread, and
        // managed one-, four- and eight-stream sums over the same arrays timed right before and right after each sample
        // (contention lowers them alike).
        {
            torch.set_num_threads(1);
            var (torchCeiling, bytes) = SamplingCeiling(model, ScalarType.Float32);
            // The copy of the weights every request makes first, timed apart from the sampling it serves.
            var clock = Stopwatch.StartNew();
            SingleSampleStep one;
            using (var step = new SamplingStep(model)) one = step.ForOneSample();
            var setup = clock.Elapsed.TotalSeconds;
            var (pairs, read) = ReadAndSample(one, vocabulary, options);
            // Each sample against the chosen read beside it (or libtorch's products, when faster); the figure is the median.
            var ratios = pairs.Select(p => p.CharsPerSecond / Math.Max(torchCeiling, p.ReadsPerSecond)).ToArray();
            var ratio = BenchStatistics.Median(ratios);
            var rate = BenchStatistics.Median(pairs.Select(p => p.CharsPerSecond));
            var managedCeiling = BenchStatistics.Median(pairs.Select(p => p.ReadsPerSecond));
            new BenchFigure("3 analysis", "LSTM 3x512 sampling, float32 weights, batch 1 / bandwidth ceiling", ratio, "ratio", ">= 0.9", ratio >= 0.9,
                $"the median of {pairs.Length} samples, each over the faster of libtorch's products (timed once, best of 3 x 300) and the fastest managed read of the same weights around it ({string.Join(" / ", ratios.Select(r => r.ToString("0.000")))}): " +
                $"{rate:N0} chars/s (median; multinomial T=1, {sampleLength} chars, state carried, SingleSampleStep, one thread, after a warm-up; " +
                $"the copy of the weights each request makes first, {setup * 1000:0} ms, timed apart) against the fastest of three reads of the step's " +
                $"{bytes / 1e6:0.0} MB of float32 weights (W_hh of 3 layers, [W_ih W_hh] of the upper 2, the head) at one thread: " +
                $"libtorch's matrix-vector products alone {torchCeiling:N0} steps/s ({bytes * torchCeiling / 1e9:0.0} GB/s), " +
                $"the fastest of managed one-, four- and eight-stream sums over the same arrays (the one fastest over all blocks by median, here the {read} sum), each as many steps as a sample, timed right before and right after it (their mean time), {managedCeiling:N0} steps/s (median; {bytes * managedCeiling / 1e9:0.0} GB/s)").Print();
        }

        // Batch 1, bfloat16 weight copies (an option of SamplingStep; the product samples in float32), per thread count.
        foreach (var sampleThreads in new[] { 1, threads }.Distinct())
        {
            torch.set_num_threads(sampleThreads);
            var (ceiling, bytes) = SamplingCeiling(model, ScalarType.BFloat16);
            SampleAt(model, vocabulary, options with { Length = 50 }, ScalarType.BFloat16, sampleThreads);      // warm-up
            var clock = Stopwatch.StartNew();
            var rate = SampleAt(model, vocabulary, options, ScalarType.BFloat16, sampleThreads).Length / clock.Elapsed.TotalSeconds;
            new BenchFigure("3 analysis", $"LSTM 3x512 sampling, bfloat16 weights, batch 1, {sampleThreads} thread{(sampleThreads == 1 ? "" : "s")} / bandwidth ceiling",
                rate / ceiling, "ratio", "", null,
                $"{rate:N0} chars/s (multinomial T=1, {sampleLength} chars, state carried, SamplingStep op by op, after a 50-char warm-up) over " +
                $"{ceiling:N0} steps/s: the step's {bytes / 1e6:0.0} MB of bfloat16 weights read by the same matrix-vector products alone, " +
                $"{bytes * ceiling / 1e9:0.0} GB/s; {sampleThreads} torch threads").Print();
        }

        // A request for 16 texts (count 16): one pass with 16 rows, at the sampler's thread choice for a batch.
        foreach (var format in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            var name = format == ScalarType.Float32 ? "float32" : "bfloat16";
            torch.set_num_threads(threads);
            const int count = 16;
            Sampler.SampleMany(model, vocabulary, options with { Length = 20 }, count, format);           // warm-up
            var clock = Stopwatch.StartNew();
            var samples = Sampler.SampleMany(model, vocabulary, options with { Length = sampleLength / 4 }, count, format);
            var rate = samples.Sum(x => x.Length) / clock.Elapsed.TotalSeconds;
            new BenchFigure("3 analysis", $"LSTM 3x512 16-sample request, {name} weights", rate, "chars/s", "", null,
                $"Sampler.SampleMany, as SampleJob runs a request with count 16: 16 texts of {sampleLength / 4} chars in one pass (batch 16, {Sampler.ThreadsFor(count, threads)} torch threads), " +
                $"{rate / count:N0} chars/s per sample").Print();
        }
        torch.set_num_threads(threads);
        BFloat16Agreement(model, vocabulary);
    }

    /// <summary>
    /// One float32 sample at batch 1 as the sampler draws it (<see cref="Sampler.SampleOne"/> on a built
    /// <see cref="SingleSampleStep"/>), bracketed by plain reads of the step's weights, three ways (a vectorised sum
    /// over each array, and the same sum over four and over eight streams of it at once: <see cref="StreamSum"/>), each
    /// as many steps as the sample takes: ten samples after a warm-up, reads before the first and after each, so every
    /// sample has a block of each read right before it and right after it. The ceiling is the read that is fastest over
    /// all blocks (by median), chosen once, and a sample's ceiling is its mean over the sample's two blocks (their mean time).
    /// Why bracketed: this machine's memory rate moves by a quarter within seconds. Timed apart (the reads best of 3
    /// blocks of 300, the sampling best of 3 whole samples), the ratio was 0.852 with 2,000-character samples and 1.000
    /// with 300-character ones; with reads only before each sample, its ten pairs still spread over 0.83-1.14 in one
    /// run. Why on a built step: the weight copy (0.1-0.4 s at 3x512 on this machine, mostly first touches of fresh
    /// memory) is per request, not per step; the caller times it apart.
    /// </summary>
    /// <returns>Per sample: the chosen read's rate around it (steps/s) and its sampled characters per second; and the read chosen.</returns>
    private static ((double ReadsPerSecond, double CharsPerSecond)[] Pairs, string Read) ReadAndSample(SingleSampleStep one, Vocabulary vocabulary, SamplingOptions options)
    {
        const int samples = 10;
        var prime = Sampler.PrimeOf(vocabulary, options);
        var weights = one.Weights.ToArray();
        var sink = 0f;
        var steps = prime.Length + options.Length - 1;                                       // the steps one sample takes
        double Reads(Func<PanelMatrix, float> read)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < steps; i++)
                foreach (var w in weights) sink += read(w);
            return steps / clock.Elapsed.TotalSeconds;
        }
        double[] AllReads() => [Reads(w => TensorPrimitives.Sum<float>(w.Floats)), Reads(w => StreamSum(w, 4)), Reads(w => StreamSum(w, 8))];
        double Sample(int seed)
        {
            var clock = Stopwatch.StartNew();
            var drawn = Sampler.SampleOne(one, prime, options, new Random(seed), new List<int>(options.Length)).Count;
            return drawn / clock.Elapsed.TotalSeconds;
        }
        Sample(0);                                                                           // the warm-up
        var blocks = new List<double[]> { AllReads() };                                      // each read's rate, before the first sample and after each
        var chars = new List<double>();
        for (var r = 1; r <= samples; r++)
        {
            chars.Add(Sample(r));
            blocks.Add(AllReads());
        }
        GC.KeepAlive(sink);
        // The read way that is fastest over all its blocks (by median), chosen once: the fastest of three noisy blocks
        // around each sample would pick the luckiest of them, a ceiling biased upwards by the noise alone.
        var way = Enumerable.Range(0, blocks[0].Length).MaxBy(w => BenchStatistics.Median(blocks.Select(b => b[w])));
        // A sample's ceiling: that read's mean time over the blocks right before and right after it, as if read back to back.
        return ([.. chars.Select((c, i) => (2 / (1 / blocks[i][way] + 1 / blocks[i + 1][way]), c))], new[] { "one-stream", "four-stream", "eight-stream" }[way]);
    }

    /// <summary>
    /// The sum of a matrix's floats read as four or eight equal parts at once, in the vectors its product uses
    /// (512-bit where accelerated, else <see cref="Vector{T}"/>), the parts' loads summed pairwise before one add to the
    /// running sum, so the adds never limit the read. Why several streams: the sampler's product reads four panels at a
    /// time, and one stream reads at about half the rate of four or eight on the machines measured (Zen 3 and Zen 5), so
    /// a one-stream read alone is no ceiling for it. Why the product's vectors: on an AMD Zen 5 the 512-bit read of the
    /// aligned panels was 1.10 times the 256-bit one, and a ceiling must be the fastest read there is.
    /// </summary>
    private static float StreamSum(PanelMatrix matrix, int streams) => matrix.IsWide
        ? StreamSum<Lanes512, Vector512<float>>(matrix.Floats, streams)
        : StreamSum<LanesOfVector, Vector<float>>(matrix.Floats, streams);

    private static float StreamSum<TLanes, TVector>(ReadOnlySpan<float> values, int streams) where TLanes : ILanes<TVector> where TVector : struct
    {
        if (streams is not (4 or 8)) throw new ArgumentOutOfRangeException(nameof(streams), streams, "4 or 8 streams");
        var width = TLanes.Count;
        var part = values.Length / streams / width * width;
        ref var p = ref MemoryMarshal.GetReference(values);
        var (n, s) = ((nuint)part, (nuint)part);
        TVector left = default, right = default;
        for (nuint i = 0; i < n; i += (nuint)width)
        {
            left = TLanes.Add(left, TLanes.Add(TLanes.Add(TLanes.Load(ref p, i), TLanes.Load(ref p, i + s)), TLanes.Add(TLanes.Load(ref p, i + 2 * s), TLanes.Load(ref p, i + 3 * s))));
            if (streams == 8)
                right = TLanes.Add(right, TLanes.Add(TLanes.Add(TLanes.Load(ref p, i + 4 * s), TLanes.Load(ref p, i + 5 * s)), TLanes.Add(TLanes.Load(ref p, i + 6 * s), TLanes.Load(ref p, i + 7 * s))));
        }
        return TLanes.Sum(TLanes.Add(left, right)) + TensorPrimitives.Sum<float>(values[(streams * part)..]);
    }

    private static string SampleAt(CharRnn model, Vocabulary vocabulary, SamplingOptions options, ScalarType format, int threads) =>
        Sampler.SampleMany(model, vocabulary, options, 1, format, threads)[0];

    /// <summary>
    /// What one sampling step must at least cost: reading its weights once. The same matrix-vector products the step
    /// does (W_hh of the first layer, [W_ih W_hh] of each upper layer, the head), in the same format, and nothing else.
    /// </summary>
    private static (double StepsPerSecond, long Bytes) SamplingCeiling(CharRnn model, ScalarType format)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var step = new SamplingStep(model, format);
        var weights = step.Weights.ToArray();
        var bytes = weights.Sum(w => w.numel() * w.ElementSize);
        var h = randn(1, 1024).to_type(format);
        return (StepsPerSecond(() =>
        {
            using var inner = NewDisposeScope();
            foreach (var w in weights) h[.., ..(int)w.shape[1]].matmul(w.t());
        }), bytes);
    }

    /// <summary>One warm-up call, then the best of 3 x 300 calls of <paramref name="step"/>: calls per second.</summary>
    private static double StepsPerSecond(Action step)
    {
        step();
        const int steps = 300;
        var best = double.MaxValue;
        for (var r = 0; r < 3; r++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < steps; i++) step();
            best = Math.Min(best, clock.Elapsed.TotalSeconds / steps);
        }
        return 1 / best;
    }

    /// <summary>Whether bfloat16 weights keep the model's predictions: next-character loss with both formats over the same text.</summary>
    private static void BFloat16Agreement(CharRnn model, Vocabulary vocabulary)
    {
        const int length = 400;
        var encoded = vocabulary.Encode(BenchText.Generate(length + 1));
        var symbols = Enumerable.Range(0, length + 1).Select(i => encoded[i]).ToArray();
        var losses = new Dictionary<ScalarType, double>();
        var largest = 0.0;
        Tensor? reference = null;
        foreach (var format in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var step = new SamplingStep(model, format);
            var state = model.ZeroState(1, CPU);
            var all = new List<Tensor>();
            for (var t = 0; t < length; t++)
            {
                var (logits, next) = step.Step(tensor(new long[] { symbols[t] }), state);
                (state, _) = (next, 0);
                all.Add(logits);
            }
            state.Dispose();
            var stacked = cat(all, 0);                                                                 // (T, V)
            var targets = tensor(symbols.Skip(1).Take(length).Select(s => (long)s).ToArray());
            losses[format] = nn.functional.cross_entropy(stacked, targets).item<float>();
            if (reference is null) reference = stacked.detach().clone().DetachFromDisposeScope();
            else largest = (stacked - reference).abs().max().item<float>();
        }
        reference?.Dispose();
        var difference = Math.Abs(losses[ScalarType.BFloat16] - losses[ScalarType.Float32]);
        new BenchFigure("3 analysis", "LSTM 3x512 bfloat16 weights, loss difference", difference, "nats/char", "< 0.01", difference < 0.01,
            $"next-character cross-entropy over {length} chars of the bench text, one step at a time: float32 {losses[ScalarType.Float32]:0.00000}, " +
            $"bfloat16 {losses[ScalarType.BFloat16]:0.00000}; largest logit difference {largest:0.0000} (the bench's model is untrained, seed 1)").Print();
    }
}
