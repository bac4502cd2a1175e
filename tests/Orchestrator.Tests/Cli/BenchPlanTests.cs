using RnnSweep.Orchestrator.Bench;
using RnnSweep.Worker.Bench;

namespace RnnSweep.Orchestrator.Tests.Cli;

/// <summary>
/// Every Worker part <c>rnnsweep bench</c> runs passes only flags that part declares: an undeclared one ends the part
/// with an error, and the bench's figures for it are missing (the bfloat16 loop's <c>--precision</c> was).
/// </summary>
public sealed class BenchPlanTests
{
    private static readonly Dictionary<(int Layers, int Hidden), long> Runs = new() { [(1, 64)] = 1, [(2, 128)] = 2, [(3, 512)] = 3 };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EveryWorkerPart_IsTakenByTheWorkersBench(bool quick)
    {
        var parts = BenchPlan.TrainingParts(quick, "2", "Host=127.0.0.1;Database=rnnsweep_bench", Runs).Append(BenchPlan.CorpusPart(quick)).ToList();
        Assert.Equal(quick ? 8 : 12, parts.Count);
        foreach (var part in parts)
        {
            Assert.Contains(part.Args[0], WorkerBench.Parts);
            Assert.Contains(part.Args[0], BenchCommand.Parts); // --part can select it
            var parsed = new BenchArgs(part.Args[0], part.Args[1..]); // throws BenchArgsException naming a flag the part does not declare
            Assert.True(parsed.Int("threads", -1) > 0, string.Join(' ', part.Args));
        }
        Assert.Contains(parts, p => p.Args.Contains("--precision") && p.Args[0] == "loop");
    }

    [Fact]
    public void ThePrecisionProbe_TakesTheFlagsItsDocumentationGives() =>
        Assert.Equal(3, new BenchArgs("precision", ["--probe", "--layers", "3", "--hidden", "512", "--threads", "1", "--rounds", "3", "--budget", "20", "--check", "--skip-micro"]).Int("rounds", 0));

    [Fact]
    public void APartNotInTheBench_IsRefusedByName()
    {
        var errors = BenchCommand.Create().Parse(["--part", "worker-memory", "--part", "memory"]).Errors;
        Assert.Contains(errors, e => e.Message.Contains("memory", StringComparison.Ordinal));
        Assert.Empty(BenchCommand.Create().Parse(["--part", "worker-memory", "scale"]).Errors);
        // A part never shares a name with a subcommand: `--part scale makespan` stays on bench with both parts.
        var parsed = BenchCommand.Create().Parse(["--part", "scale", "makespan"]);
        Assert.Empty(parsed.Errors);
        Assert.Equal("bench", parsed.CommandResult.Command.Name);
        Assert.Empty(BenchCommand.Parts.Intersect(BenchCommand.Create().Subcommands.Select(c => c.Name)));
    }
}
