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
    [InlineData("--layers|1 2|--hidden-sizes|64, 128|--models|lstm gru|--seeds|1,2,")]            // quoted: "1 2" is one token
    public void GridOptions_TakeSpacesOrCommas(string args)
    {
        var (models, layers, hiddenSizes, seeds) = (CliOptions.Models(), CliOptions.Layers(), CliOptions.HiddenSizes(), CliOptions.Seeds());
        var parse = new RootCommand { models, layers, hiddenSizes, seeds }.Parse(args.Split(args.Contains('|') ? '|' : ' '));
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

    /// <summary>"1,,2" lost a value between its commas: reading it as 1,2 would train another grid than meant.</summary>
    [Theory]
    [InlineData("1,,2")]
    [InlineData(",,2")]
    [InlineData("1, ,2")]
    public void AnEmptyValueBetweenCommas_IsAnError(string value)
    {
        var layers = CliOptions.Layers();
        var parse = new RootCommand { layers }.Parse(["--layers", value]);
        Assert.Equal($"--layers: '{value}' has an empty value between two commas", Assert.Single(parse.Errors).Message);
    }

    /// <summary>An --axis value list reads its commas as the list options do.</summary>
    [Theory]
    [InlineData("dropout=0,,0.5")]
    [InlineData("dropout=,,0.5")]
    public void AnAxisWithAnEmptyValueBetweenCommas_IsAnError(string option)
    {
        var error = Assert.Single(Assert.Throws<Shared.Domain.ValidationException>(() => CliOptions.ParseAxes([option], null)).Errors);
        Assert.Equal(new Shared.Domain.FieldError("--axis", $"'{option}' has an empty value between two commas"), error);
    }

    [Fact]
    public void AnAxisCommaAtAnEnd_SeparatesNothing()
    {
        var axes = CliOptions.ParseAxes(["dropout=0,0.5,", "optimizer=,adam"], null)!;
        Assert.Equal("[0,0.5]", axes["dropout"]!.ToJsonString());
        Assert.Equal("[\"adam\"]", axes["optimizer"]!.ToJsonString());
    }

    [Fact]
    public void AWholeNumberTooLarge_IsSaidToBeOutOfRange()
    {
        var seeds = CliOptions.Seeds();
        var parse = new RootCommand { seeds }.Parse(["--seeds", "99999999999999999999"]);
        Assert.Equal("Cannot parse argument '99999999999999999999' for option '--seeds' as a whole number (it is out of range).", Assert.Single(parse.Errors).Message);
    }

    /// <summary>
    /// An error in a spec field names the option too when the user typed it; a value from a spec file, a preset or a
    /// default is named by its field alone.
    /// </summary>
    [Theory]
    [InlineData("hiddenSizes[1]", "--hidden-sizes", "--hidden-sizes (hiddenSizes[1])")]
    [InlineData("hiddenSizes[1]", "--layers", "hiddenSizes[1]")]
    [InlineData("corpusText", "--corpus", "--corpus (corpusText)")]
    [InlineData("corpusRecipe.include[0]", "--include", "--include (corpusRecipe.include[0])")]
    [InlineData("corpusRecipe.source", "--corpus", "--corpus (corpusRecipe.source)")]
    [InlineData("corpusRecipe.sourceSha256", "--corpus", "corpusRecipe.sourceSha256")]                // no option sets it
    [InlineData("hyperparameters.maxEpochs", "--max-epochs", "--max-epochs (hyperparameters.maxEpochs)")]
    [InlineData("axes.dropout[0]", "--axis", "--axis (axes.dropout[0])")]
    [InlineData("name", "--corpus", "name")]                                                               // the default name, from the corpus
    [InlineData("hyperparameters.dropout", "--axis", "hyperparameters.dropout")]
    [InlineData("--spec", "--spec", "--spec")]
    public void AFieldSetByATypedOption_IsNamedWithIt(string field, string typed, string named) =>
        Assert.Equal(named, CliOptions.Named(field, new HashSet<string> { typed }));
}
