using TorchSharp;

namespace RnnSweep.Worker.Bench;

/// <summary>The machine's own ceilings, named: its processor and nominal peak, and what libtorch achieves on it.</summary>
public static class MachineBench
{
    public static void Run(BenchArgs a)
    {
        var threads = a.Int("threads", Environment.ProcessorCount);
        torch.set_num_threads(threads);
        var processor = Processor.Read();
        new BenchFigure("0 machine", "nominal float32 peak", (processor.PeakFlops ?? double.NaN) / 1e9, "GFLOP/s", "", null,
            $"{processor.Description}: {processor.PeakHow}").Print();
        var (flops, matmul, oneDnn) = Ceilings.Float32Flops(products: 4, repeats: 3);
        var ofPeak = processor.PeakFlops is { } peak ? $"; {flops / peak:0.000} of the nominal peak" : "";
        new BenchFigure("0 machine", $"matmul ceiling ({threads} threads)", flops / 1e9, "GFLOP/s", "", null,
            $"float32 {Ceilings.MatmulSize}x{Ceilings.MatmulSize} products through the Worker's libtorch, the faster of its two: MKL's matmul {matmul / 1e9:0.0} GFLOP/s, " +
            $"oneDNN's (a 1x1 convolution, oneDNN on, as a float32 LSTM trains where TrainingKernel lets it) {oneDnn / 1e9:0.0} GFLOP/s; best of 3 x 4 after a warm-up each{ofPeak}").Print();
        // Without native bfloat16 one smaller product is enough to show the rate: four 2048^3 ones took minutes.
        var native = processor.NativeBFloat16;
        var halfSize = native ? Ceilings.MatmulSize : 512;
        var half = native ? Ceilings.MatmulFlops(products: 4, repeats: 3, dtype: torch.ScalarType.BFloat16)
            : Ceilings.MatmulFlops(products: 1, repeats: 1, size: halfSize, dtype: torch.ScalarType.BFloat16);
        new BenchFigure("0 machine", $"bfloat16 matmul ceiling ({threads} threads)", half / 1e9, "GFLOP/s", "", null,
            $"bfloat16 {halfSize}x{halfSize} matrix products, oneDNN on (as precision: bfloat16 trains), " +
            (native ? "best of 3 x 4 after a warm-up; " : $"one product after a warm-up: {processor.NoBFloat16}; ") +
            $"{half / flops:0.00} x the float32 ceiling").Print();
        var bandwidth = Ceilings.ReadBandwidth();
        new BenchFigure("0 machine", $"memory read bandwidth ({threads} threads)", bandwidth / 1e9, "GB/s", "", null,
            "sum over a 512 MB float32 tensor through libtorch, best of 5 after a warm-up").Print();
    }
}
