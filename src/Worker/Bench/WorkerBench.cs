namespace RnnSweep.Worker.Bench;

/// <summary>
/// <c>RnnSweep.Worker bench PART [--option value ...]</c>: the TorchSharp half of <c>rnnsweep bench</c>, which starts
/// this process once per part and reads the <see cref="BenchFigure"/> lines it prints. Parts: <c>loop</c> (one
/// model's training-loop overhead and FLOP/s; with --checkpoints and --memory), <c>analysis</c> (gate extraction
/// and sampling), <c>corpus</c> (memory on a large generated corpus), <c>machine</c> (processor, nominal peak, matmul and bandwidth ceilings), <c>precision</c> (bfloat16 training against float32; with --probe, where its time goes).
/// </summary>
public static class WorkerBench
{
    /// <summary>The parts this process measures, in the order <c>rnnsweep bench</c> runs them; the CLI accepts only these.</summary>
    public static readonly string[] Parts = ["machine", "loop", "analysis", "corpus", "precision"];

    /// <returns>0, or 2 after one line on stderr for an unknown part, flag or a bad value.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        var part = args.FirstOrDefault();
        if (part is null || !Parts.Contains(part))
        {
            Console.Error.WriteLine($"usage: RnnSweep.Worker bench {string.Join('|', Parts)} [--option value ...] (run by 'rnnsweep bench')");
            return 2;
        }
        try
        {
            var options = new BenchArgs(part, args[1..]);
            Hosting.ParentWatch.ExitWithParent();
            switch (part)
            {
                case "loop": await LoopBench.RunAsync(options); break;
                case "analysis": AnalysisBench.Run(options); break;
                case "corpus": CorpusBench.Run(options); break;
                case "machine": MachineBench.Run(options); break;
                case "precision": PrecisionBench.Run(options); break;
            }
            return 0;
        }
        catch (BenchArgsException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
