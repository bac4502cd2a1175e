using System.Diagnostics;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Analysis;

/// <summary>Characters per second of gate extraction and of the fused forward pass (eval mode, no gradients).</summary>
public sealed record ExtractionThroughput(ModelType Model, int Layers, int Hidden, int Streams, int Steps,
    double ExtractionCharsPerSecond, double FusedCharsPerSecond)
{
    /// <summary>How many times slower extraction is than the fused forward pass.</summary>
    public double Ratio => FusedCharsPerSecond / ExtractionCharsPerSecond;
}

/// <summary>Measurements for a benchmark command; not tests (timings depend on the machine).</summary>
public static class AnalysisBenchmarks
{
    /// <summary>
    /// A randomly initialized model of the given size over random symbols, (streams, steps) per call, best of
    /// <paramref name="repeats"/> after one warm-up. torch's global generator is restored afterwards.
    /// </summary>
    public static ExtractionThroughput ExtractionRatio(ModelType model, int layers, int hidden, int vocabularySize = 87,
        int streams = 50, int steps = 100, int repeats = 3, Device? device = null)
    {
        device ??= CPU;
        using var rng = get_rng_state();
        try
        {
            manual_seed(1);
            using var network = new CharRnn(model, layers, hidden, vocabularySize, oneHot: true, dropoutRate: 0);
            network.to(device);
            network.eval();
            using var extractor = new GateExtractor(network);
            using var x = randint(vocabularySize, [streams, steps], dtype: ScalarType.Int64, device: device); // (B, T)

            var extraction = Best(repeats, () => extractor.Extract(x).Dispose());
            var fused = Best(repeats, () =>
            {
                using var noGrad = no_grad();
                using var scope = NewDisposeScope();
                using var state = network.ZeroState(streams, device);
                network.Forward(x, state);
            });
            var chars = (double)streams * steps;
            return new ExtractionThroughput(model, layers, hidden, streams, steps, chars / extraction, chars / fused);
        }
        finally
        {
            set_rng_state(rng);
        }
    }

    /// <returns>The fastest of <paramref name="repeats"/> runs in seconds, after one warm-up run.</returns>
    private static double Best(int repeats, Action run)
    {
        run();
        var best = double.PositiveInfinity;
        for (var r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            run();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}
