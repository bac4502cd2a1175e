using RnnSweep.Worker.Bench;

namespace RnnSweep.Worker.Tests.Hosting;

/// <summary>The Worker's bench flags: what <c>rnnsweep bench</c> passes per part is taken; anything else is named.</summary>
public sealed class BenchArgsTests
{
    // The flags src/Orchestrator/Bench/BenchCommand.cs passes to each part (keep in step with it).
    public static TheoryData<string, string[]> OrchestratorCalls => new()
    {
        { "machine", ["--threads", "2"] },
        { "loop", ["--connection", "Host=x", "--epoch-seconds", "6", "--epochs", "2", "--layers", "1", "--hidden", "64", "--threads", "1", "--run", "7", "--label", "LSTM 1x64 (1 thread)"] },
        { "loop", ["--connection", "Host=x", "--epoch-seconds", "6", "--epochs", "2", "--layers", "1", "--hidden", "64", "--threads", "1", "--input", "embedding", "--run", "7", "--label", "l"] },
        { "loop", ["--connection", "Host=x", "--epochs", "2", "--layers", "3", "--hidden", "512", "--threads", "2", "--run", "9", "--epoch-seconds", "30", "--checkpoints", "--label", "LSTM 3x512"] },
        { "loop", ["--connection", "Host=x", "--layers", "3", "--hidden", "512", "--threads", "2", "--run", "9", "--memory-only", "--batches", "3", "--epochs", "2", "--label", "LSTM 3x512"] },
        { "precision", ["--layers", "3", "--hidden", "512", "--threads", "2", "--batches", "1", "--budget", "20"] },
        { "analysis", ["--threads", "2", "--repeats", "1", "--sample-length", "300"] },
        { "corpus", ["--megabytes", "50", "--threads", "1"] },
    };

    [Theory]
    [MemberData(nameof(OrchestratorCalls))]
    public void EveryFlagTheOrchestratorPasses_IsTaken(string part, string[] args)
    {
        var parsed = new BenchArgs(part, args);
        Assert.Equal(int.Parse(args[Array.IndexOf(args, "--threads") + 1]), parsed.Int("threads", -1));
    }

    [Fact]
    public void EveryPart_DeclaresItsFlags() => Assert.Equal(WorkerBench.Parts.Order(), BenchArgs.Accepted.Keys.Order());

    [Fact]
    public void AnUnknownFlag_IsNamed_WithThePartsFlags()
    {
        var e = Assert.Throws<BenchArgsException>(() => new BenchArgs("loop", ["--bogus", "3"]));
        Assert.Contains("--bogus", e.Message);
        Assert.Contains("--layers VALUE", e.Message);
        Assert.Contains("--checkpoints", e.Message);
        Assert.Contains("--threads", Assert.Throws<BenchArgsException>(() => new BenchArgs("machine", ["--layers", "3"])).Message);
        Assert.Contains("'3'", Assert.Throws<BenchArgsException>(() => new BenchArgs("loop", ["--layers", "1", "3"])).Message); // a stray value
        Assert.Contains("--layers needs a value", Assert.Throws<BenchArgsException>(() => new BenchArgs("loop", ["--layers"])).Message);
        Assert.Contains("twice", Assert.Throws<BenchArgsException>(() => new BenchArgs("loop", ["--layers", "1", "--layers", "2"])).Message);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("99999999999")]
    public void ABadNumber_IsNamed_WithItsFlagAndValue(string value)
    {
        var args = new BenchArgs("loop", ["--layers", value, "--run", value]);
        Assert.Equal($"bench loop: --layers must be a whole number, not '{value}'", Assert.Throws<BenchArgsException>(() => args.Int("layers", 1)).Message);
        if (value != "99999999999") Assert.Contains("--run", Assert.Throws<BenchArgsException>(() => args.Long("run", 0)).Message);
    }
}
