using System.Diagnostics;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Bench;

/// <summary>
/// What this machine can do through the same libtorch the Worker trains with, measured where it is used (same
/// process, same thread count, next to the figure it is the ceiling of), so that contention from other processes
/// lowers both alike.
/// </summary>
public static class Ceilings
{
    /// <summary>Side of the square float32 products: 2048^3 x 2 = 17 GFLOP, far past every cache, as dense BLAS likes it.</summary>
    public const int MatmulSize = 2048;

    /// <summary>
    /// Achieved FLOP/s of <paramref name="products"/> (N x N) x (N x N) products in <paramref name="dtype"/> (float32 or
    /// bfloat16), best of <paramref name="repeats"/> after a warm-up. bfloat16 products run with oneDNN on, as
    /// <see cref="Training.BFloat16Step"/> trains (with it off libtorch takes a slow reference path for them).
    /// </summary>
    public static double MatmulFlops(int products = 3, int repeats = 2, int size = MatmulSize, ScalarType dtype = ScalarType.Float32)
    {
        using var oneDnn = dtype == ScalarType.BFloat16 ? Training.LstmKernel.OneDnnOn() : null;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var a = randn(size, size).to(dtype);
        var b = randn(size, size).to(dtype);
        return 2.0 * size * size * size / BestSeconds(() => a.matmul(b).Dispose(), products, repeats);
    }

    /// <summary>
    /// Achieved float32 FLOP/s of oneDNN's own products, which float32 <see cref="MatmulFlops"/> does not reach: libtorch's
    /// float32 matmul is MKL's, which takes its AVX2 path on AMD processors, while oneDNN (which trains a float32 LSTM
    /// where <see cref="Training.TrainingKernel"/> lets it) uses the widest vectors the processor has. Measured as a 1 x 1
    /// convolution of N channels over N positions, the same N x N x N product, with oneDNN on; best of
    /// <paramref name="repeats"/> after a warm-up.
    /// </summary>
    public static double OneDnnFlops(int products = 3, int repeats = 2, int size = MatmulSize)
    {
        using var oneDnn = Training.LstmKernel.OneDnnOn();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // (N / 64 images, C = N, 8, 8): N positions. Of the layouts tried on an AMD Zen 5 (1 x 32 x 64, 8 x 16 x 16,
        // 1 x 64 x 64, 32 x 8 x 8, 1 x 128 x 64 images x positions) this one was the fastest: 337 against 282-328 GFLOP/s.
        var input = randn(size / 64, size, 8, 8);
        var weight = randn(size, size, 1, 1);
        return 2.0 * size * size * size / BestSeconds(() => nn.functional.conv2d(input, weight).Dispose(), products, repeats);
    }

    /// <summary>Seconds per call of <paramref name="product"/>: one warm-up call, then the best of <paramref name="repeats"/> runs of <paramref name="products"/> calls.</summary>
    private static double BestSeconds(Action product, int products, int repeats)
    {
        product();
        var best = double.MaxValue;
        for (var r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < products; i++) product();
            best = Math.Min(best, clock.Elapsed.TotalSeconds / products);
        }
        return best;
    }

    /// <summary>The float32 product ceiling: the faster of libtorch's two float32 products (MKL's matmul, oneDNN's).</summary>
    public static (double Best, double Matmul, double OneDnn) Float32Flops(int products = 3, int repeats = 2)
    {
        var matmul = MatmulFlops(products, repeats);
        var oneDnn = OneDnnFlops(products, repeats);
        return (Math.Max(matmul, oneDnn), matmul, oneDnn);
    }

    /// <summary>Read bandwidth in bytes/s: sums over a float32 buffer of <paramref name="megabytes"/> (no cache holds it), best of <paramref name="repeats"/>.</summary>
    public static double ReadBandwidth(int megabytes = 512, int repeats = 5)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var buffer = ones(megabytes * 1024L * 1024 / sizeof(float));
        // The warm-up call touches the pages.
        return buffer.numel() * (double)sizeof(float) / BestSeconds(() => buffer.sum().item<float>(), products: 1, repeats);
    }
}
