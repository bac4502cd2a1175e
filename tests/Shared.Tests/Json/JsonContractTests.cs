using System.Text;
using System.Text.Json;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Json;

namespace RnnSweep.Shared.Tests.Json;

/// <summary>The one JSON contract: camelCase, unknown and duplicated members refused, NaN and infinities kept.</summary>
public sealed class JsonContractTests
{
    private static T? Read<T>(string json) => JsonContract.DeserializeInput<T>(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void AMemberGivenTwice_IsRefused_NamingItsPath()
    {
        var e = Assert.Throws<JsonException>(() => Read<SampleSettings>("""{"length": 5, "method": "greedy", "Length": 7}"""));
        Assert.Contains("'Length' is given more than once", e.Message, StringComparison.Ordinal);
        Assert.Equal("$.Length", e.Path);
    }

    [Fact]
    public void AMemberGivenTwice_InsideAnArray_IsRefused()
    {
        var e = Assert.Throws<JsonException>(() => Read<JsonElement>("""{"models": [{"a": 1}, {"a": 1, "a": 2}]}"""));
        Assert.Equal("$.models[1].a", e.Path);
    }

    [Fact]
    public void AnUnknownMember_IsRefused_NamingIt()
    {
        var e = Assert.Throws<JsonException>(() => Read<SampleSettings>("""{"lenght": 5}"""));
        Assert.Contains("lenght", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedJson_IsRefused()
    {
        Assert.ThrowsAny<JsonException>(() => Read<SampleSettings>("""{"length": 5,"""));
    }

    [Fact]
    public void AValidBody_IsRead_CaseInsensitively_NumbersAlsoFromStrings()
    {
        var settings = Read<SampleSettings>("""{"Method": "topk", "topK": "3", "temperature": 0.5}""");
        Assert.Equal(SampleSettings.Default with { Method = SamplingMethods.TopK, TopK = 3, Temperature = 0.5 }, settings);
    }

    [Fact]
    public void Written_IsCamelCase_EnumsAsWords_NaNAndInfinityAsStrings()
    {
        var json = JsonSerializer.Serialize(new { ModelType = ModelType.Gru, Loss = double.NaN, Bound = double.PositiveInfinity }, JsonContract.Options);
        Assert.Equal("""{"modelType":"gru","loss":"NaN","bound":"Infinity"}""", json);
        var back = JsonSerializer.Deserialize<Hyperparameters>("""{"learningRate": "NaN"}""", JsonContract.Options)!;
        Assert.True(double.IsNaN(back.LearningRate));
    }

    [Fact]
    public void TheSharedOptions_AreFrozen()
    {
        Assert.True(JsonContract.Options.IsReadOnly);
        Assert.True(JsonContract.ReadableFile.IsReadOnly);
        Assert.Contains("é", JsonSerializer.Serialize("é", JsonContract.ReadableFile), StringComparison.Ordinal);
    }
}
