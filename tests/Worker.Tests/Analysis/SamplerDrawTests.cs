using System.Runtime.CompilerServices;
using RnnSweep.Worker.Analysis;

namespace RnnSweep.Worker.Tests.Analysis;

/// <summary>
/// The sampler's draw (<see cref="Sampler"/>.Choose) against the softmax walk it was first written as (LINQ, an array
/// per step): the same logits and the same <see cref="Random"/> must give the same symbols, so samples stored before
/// the draw stopped allocating are what a new draw gives too. And the panels the batch-1 step reads.
/// </summary>
public sealed class SamplerDrawTests
{
    public static TheoryData<SamplingMethod, double, int> Settings => new()
    {
        { SamplingMethod.Multinomial, 1.0, 0 },
        { SamplingMethod.Multinomial, 0.5, 0 },
        { SamplingMethod.Multinomial, 2.0, 0 },
        { SamplingMethod.Greedy, 1.0, 0 },
        { SamplingMethod.TopK, 1.0, 1 },
        { SamplingMethod.TopK, 0.8, 3 },
        { SamplingMethod.TopK, 1.0, 13 },       // = V: every symbol
        { SamplingMethod.TopK, 1.0, 20 },       // > V
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void Choose_DrawsWhatTheOriginalSoftmaxWalkDrew(SamplingMethod method, double temperature, int topK)
    {
        var options = new SamplingOptions { Method = method, Temperature = temperature, TopK = Math.Max(1, topK) };
        var logitSource = new Random(11);
        var (ours, original) = (new Random(5), new Random(5));
        for (var step = 0; step < 2000; step++)
        {
            // 13 symbols; every fourth row has ties (values on a coarse grid), some rows a wide range.
            var scale = step % 7 == 0 ? 40.0 : 3.0;
            var row = Enumerable.Range(0, 13).Select(_ => step % 4 == 0 ? Math.Round(logitSource.NextDouble() * 4) : (logitSource.NextDouble() - 0.5) * scale).ToArray();
            Assert.Equal(Original(row, options, original), Sampler.Choose(row, options, ours));
        }
    }

    [Fact]
    public void Choose_RefusesAnEmptyRow_AndTakesTheLastSymbol_WhenALogitIsNaN()
    {
        Assert.Throws<ArgumentException>(() => Sampler.Choose([], new SamplingOptions(), new Random(1)));
        double[] row = [0.1, double.NaN, 0.3];
        var options = new SamplingOptions { Method = SamplingMethod.Multinomial, Temperature = 1 };
        Assert.Equal(Original(row, options, new Random(2)), Sampler.Choose(row, options, new Random(2)));
        Assert.Equal(2, Sampler.Choose(row, options, new Random(2)));
    }

    /// <summary>The draw as the sampler first had it, kept here as the reference.</summary>
    private static int Original(double[] row, SamplingOptions options, Random random)
    {
        var logits = row.ToArray();
        if (options.Method == SamplingMethod.Greedy)
        {
            var best = 0;
            for (var i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
            return best;
        }
        var allowed = Enumerable.Range(0, logits.Length).ToArray();
        if (options.Method == SamplingMethod.TopK && options.TopK < logits.Length)
        {
            allowed = allowed.OrderByDescending(i => logits[i]).ThenBy(i => i).Take(options.TopK).ToArray();
        }
        var max = allowed.Max(i => logits[i]);
        var weights = allowed.Select(i => Math.Exp((logits[i] - max) / options.Temperature)).ToArray();
        var draw = random.NextDouble() * weights.Sum();
        for (var j = 0; j < allowed.Length; j++)
        {
            draw -= weights[j];
            if (draw < 0) return allowed[j];
        }
        return allowed[^1];
    }

    [Fact]
    public void PanelMatrix_StartsOnA64ByteBoundary_AndRefusesAWrongWidthOrLength()
    {
        var width = PanelMatrix.PreferredWidth;
        for (var rows = 1; rows < 40; rows += 7)                       // several allocations: any address the heap gives
        {
            var length = PanelMatrix.Length(rows, 5, width);
            Assert.Equal((rows + width - 1) / width * width * 5, length);
            var values = Enumerable.Range(0, length).Select(i => (float)i).ToArray();
            var matrix = new PanelMatrix(values, rows, 5, width);
            Assert.Equal(values, matrix.Floats.ToArray());
            Assert.Equal(0, AddressOf(ref matrix.Start) % 64);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new PanelMatrix(new float[3 * 5], 3, 5, 3));
        Assert.Throws<ArgumentException>(() => new PanelMatrix(new float[7], 3, 5, width));
    }

    /// <summary>A reference's address: its distance from the null reference (the matrix is pinned, so it holds).</summary>
    private static long AddressOf(ref float value) => Unsafe.ByteOffset(ref Unsafe.NullRef<float>(), ref value);
}
