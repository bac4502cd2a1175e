using RnnSweep.Shared.Domain;

namespace RnnSweep.Shared.Tests.Domain;

/// <summary>The words of a closed set in an error message, and the sets the API and the SQL checks are built from.</summary>
public sealed class ClosedSetWordsTests
{
    [Theory]
    [InlineData(new[] { "a" }, "'a'")]
    [InlineData(new[] { "a", "b" }, "'a' or 'b'")]
    [InlineData(new[] { "a", "b", "c" }, "'a', 'b' or 'c'")]
    public void OneOf_ListsTheWords(string[] words, string expected)
    {
        Assert.Equal(expected, ClosedSet.OneOf(words));
    }

    [Fact]
    public void ModelTypeNames_AreLowercase_AndOnePerType()
    {
        var names = Enum.GetValues<ModelType>().Select(m => m.Name()).ToList();
        Assert.Equal(["lstm", "gru", "rnn"], names);
    }
}
