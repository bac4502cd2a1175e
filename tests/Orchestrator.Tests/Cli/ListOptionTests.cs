using System.CommandLine;
using RnnSweep.Orchestrator.Cli;

namespace RnnSweep.Orchestrator.Tests.Cli;

/// <summary>The grid's list options take their values separated by spaces, commas or both.</summary>
public sealed class ListOptionTests
{
    [Theory]
    [InlineData("--layers 1,2 --hidden-sizes 64,128 --models lstm,gru --seeds 1,2")]
    [InlineData("--layers 1 2 --hidden-sizes 64 128 --models lstm gru --seeds 1 2")]
    [InlineData("--layers 1, 2 --hidden-sizes 64 ,128 --models lstm, gru --seeds 1 2")]
    public void GridOptions_TakeSpacesOrCommas(string args)
    {
        var (models, layers, hiddenSizes, seeds) = (CliOptions.Models(), CliOptions.Layers(), CliOptions.HiddenSizes(), CliOptions.Seeds());
        var parse = new RootCommand { models, layers, hiddenSizes, seeds }.Parse(args.Split(' '));
        Assert.Empty(parse.Errors);
        Assert.Equal(["lstm", "gru"], parse.GetValue(models)!);
        Assert.Equal([1, 2], parse.GetValue(layers)!);
        Assert.Equal([64, 128], parse.GetValue(hiddenSizes)!);
        Assert.Equal([1L, 2L], parse.GetValue(seeds)!);
    }

    [Fact]
    public void AValueThatIsNoWholeNumber_IsNamed()
    {
        var layers = CliOptions.Layers();
        var parse = new RootCommand { layers }.Parse(["--layers", "1,x"]);
        Assert.Equal("Cannot parse argument 'x' for option '--layers' as a whole number.", Assert.Single(parse.Errors).Message);
        // Separators alone are no list: the preset's layers must not be taken silently.
        Assert.Equal("--layers needs at least one value", Assert.Single(new RootCommand { layers }.Parse(["--layers", ","]).Errors).Message);
    }
}
