namespace RnnSweep.Orchestrator.Bench;

/// <summary>One Worker subprocess of <c>rnnsweep bench</c>: its <c>bench</c> arguments (part first) and time limit.</summary>
/// <param name="Heading">Printed before the part when it starts a section of the report; null: the section goes on.</param>
public sealed record WorkerPart(string? Heading, string[] Args, TimeSpan Timeout);

/// <summary>
/// The Worker parts <c>rnnsweep bench</c> runs, as data, so a test can check every argument list against the flags
/// the Worker's bench declares (<c>BenchArgs</c>) instead of a copy of them.
/// </summary>
public static class BenchPlan
{
    /// <summary>The parts before the orchestration benchmarks: machine, training loops, bfloat16, training memory, analyses.</summary>
    /// <param name="runs">The loop benchmarks' run rows by (layers, hidden): (1, 64), (2, 128) and (3, 512).</param>
    public static IEnumerable<WorkerPart> TrainingParts(bool quick, string threads, string benchConnection, IReadOnlyDictionary<(int Layers, int Hidden), long> runs)
    {
        var minutes = TimeSpan.FromMinutes(quick ? 2 : 6);
        // Every cell's figure is the median of several rounds, each between two bare loops (one round with --quick): on
        // this kind of shared 2-core machine a bare loop's speed moved by up to 50 % within one cell, and a single
        // round by 10 % or more (the bfloat16 3x512 bare loops of one run: 15,532 / 13,992 / 14,713 / 17,146 chars/s).
        // Nine rounds in the small cells: with five, one run in two missed 0.95 at some cell by a hundredth or less while
        // its rounds scattered over 0.87-1.10 (docs/benchmarks.md). 3x512 runs six rounds of 60-second epochs, its bare
        // loops half an epoch as everywhere (with four, the bfloat16 cell's median read 0.936-0.979 over five runs while
        // its rounds scattered over 0.89-1.05). Why longer epochs there: each 3x512 epoch commits a 65 MB checkpoint and a
        // 22 MB best copy, and the PostgreSQL server's share of that work (about 1.3 s of processor time a commit, its
        // backend and autovacuum, in a system-wide profile of one cell) takes a core from one of the two OpenMP
        // training threads, which stalls the other at its next barrier: about 2 % of a 2 x 30 s round. With
        // 18-second epochs the 3x512 float32 cell read 0.918 twice; with 30-second ones 0.958, then 0.946 over seven
        // rounds. A 3x512 epoch of tinyshakespeare takes about two minutes on this kind of machine, so its commit's
        // share there is smaller still.
        string[] loop = ["loop", "--connection", benchConnection, "--epochs", "2", "--rounds", quick ? "1" : "9", "--epoch-seconds", quick ? "4" : "6"];
        string[] bigLoop = ["loop", "--connection", benchConnection, "--epochs", "2", "--rounds", quick ? "1" : "6", "--epoch-seconds", quick ? "6" : "60"];
        var bigMinutes = TimeSpan.FromMinutes(quick ? 2 : 22);
        string Run(int layers, int hidden) => runs[(layers, hidden)].ToString(System.Globalization.CultureInfo.InvariantCulture);

        yield return new("0. The machine: processor, nominal peak, matmul and memory ceilings (Worker subprocess)", ["machine", "--threads", threads], minutes);
        yield return new("1, 2. Training loop overhead and hardware use (Worker subprocesses)",
            [.. loop, "--layers", "1", "--hidden", "64", "--threads", "1", "--run", Run(1, 64), "--label", "LSTM 1x64 (1 thread)"], minutes);
        if (!quick)
        {
            yield return new(null, [.. loop, "--layers", "1", "--hidden", "64", "--threads", threads, "--run", Run(1, 64), "--label", $"LSTM 1x64 ({threads} threads)"], minutes);
            yield return new(null, [.. loop, "--layers", "1", "--hidden", "64", "--threads", "1", "--input", "embedding", "--run", Run(1, 64), "--label", "LSTM 1x64 (1 thread, embedding)"], minutes);
            yield return new(null, [.. loop, "--layers", "2", "--hidden", "128", "--threads", threads, "--run", Run(2, 128), "--label", $"LSTM 2x128 ({threads} threads)"], minutes);
            yield return new(null, [.. loop, "--layers", "2", "--hidden", "128", "--threads", "1", "--run", Run(2, 128), "--label", "LSTM 2x128 (1 thread)"], minutes);
        }
        yield return new(null, [.. bigLoop, "--layers", "3", "--hidden", "512", "--threads", threads, "--run", Run(3, 512), "--checkpoints",
            "--label", $"LSTM 3x512 ({threads} threads)"], bigMinutes);
        // The same loop with hyperparameters.precision bfloat16, right after the float32 one.
        yield return new(null, [.. bigLoop, "--layers", "3", "--hidden", "512", "--threads", threads, "--run", Run(3, 512), "--precision", "bfloat16",
            "--label", $"LSTM 3x512 bfloat16 ({threads} threads)"], bigMinutes);
        yield return new("2. bfloat16 training against float32, LSTM 3x512 (Worker subprocess)",
            ["precision", "--layers", "3", "--hidden", "512", "--threads", threads, "--batches", "1", "--budget", quick ? "0" : "20"], TimeSpan.FromMinutes(12));
        yield return new("7. Memory training 3x512 (Worker subprocess that only trains)",
            ["loop", "--connection", benchConnection, "--layers", "3", "--hidden", "512", "--threads", threads, "--run", Run(3, 512), "--memory-only", "--batches", "3",
             "--epochs", "2", "--label", "LSTM 3x512"], minutes);
        yield return new("3. Analyses (Worker subprocess)",
            ["analysis", "--threads", threads, "--repeats", quick ? "1" : "3", "--sample-length", quick ? "300" : "2000"], minutes);
    }

    /// <summary>The last part, after the orchestration benchmarks: memory on a large generated corpus.</summary>
    public static WorkerPart CorpusPart(bool quick) => new("7. Memory on a large corpus (Worker subprocess)",
        ["corpus", "--megabytes", quick ? "50" : "200", "--threads", "1"], TimeSpan.FromMinutes(quick ? 2 : 5));
}
