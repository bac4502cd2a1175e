using RnnSweep.Worker.Bench;

namespace RnnSweep.Worker.Tests.Hosting;

/// <summary>The Worker's bench flags: anything a part does not declare is named (what <c>rnnsweep bench</c> passes: BenchPlanTests).</summary>
public sealed class BenchArgsTests
{
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
