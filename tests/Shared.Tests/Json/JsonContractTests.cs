using System.Text;
using System.Text.Json;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Json;

namespace RnnSweep.Shared.Tests.Json;

/// <summary>The one JSON contract: camelCase, unknown and duplicated members refused, NaN and infinities kept.</summary>
public sealed class JsonContractTests
{
    private static T? Read<T>(string json) => JsonContract.DeserializeInput<T>(Encoding.UTF8.GetBytes(json));

    // Shaped as the specs and requests are: init properties.
    private sealed record Probe
    {
        public bool? Flag { get; init; }
        public int[]? Sizes { get; init; }
        public string? Name { get; init; }
        public double? Rate { get; init; }
        public List<long>? Seeds { get; init; }
        public ModelType? Model { get; init; }
        public SampleSettings? Settings { get; init; }
        public System.Text.Json.Nodes.JsonObject? Extra { get; init; } // kept as raw JSON, as hyperparameters are
    }

    /// <summary>A value of the wrong kind is described as what was expected, never as the .NET type it was read into.</summary>
    [Theory]
    [InlineData("""{"flag": "yes"}""", "$.flag", "must be true or false")]
    [InlineData("""{"flag": 1}""", "$.flag", "must be true or false")]
    [InlineData("""{"sizes": "two"}""", "$.sizes", "must be a list of whole numbers")]
    [InlineData("""{"sizes": [1, true]}""", "$.sizes[1]", "must be a whole number")]
    [InlineData("""{"name": 5}""", "$.name", "must be a string")]
    [InlineData("""{"name": "a\ud800b"}""", "$.name", "is not valid text: it holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair)")]
    [InlineData("""{"name": "\udc00"}""", "$.name", "is not valid text: it holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair)")]
    [InlineData("""{"extra": {"optimizer": ["adam\ud800"]}}""", "$.extra.optimizer[0]", "is not valid text: it holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair)")]
    [InlineData("""{"extra": {"opti\ud800mizer": 1}}""", "$.extra", "a member name here is not valid text: it holds a lone UTF-16 surrogate")]
    [InlineData("""{"rate": []}""", "$.rate", "must be a number")]
    [InlineData("""{"seeds": {}}""", "$.seeds", "must be a list of whole numbers")]
    [InlineData("""{"model": "cnn"}""", "$.model", "must be one of lstm, gru, rnn")]
    [InlineData("""{"settings": 3}""", "$.settings", "must be an object")]
    [InlineData("""{"sizez": [1]}""", null, "'sizez' is not a field here")]
    [InlineData("""{"sizes": [1""", null, "malformed JSON: ")]
    public void Describe_SaysWhatWasExpected_WithoutDotNetTypeNames(string json, string? path, string described)
    {
        var e = Assert.Throws<JsonException>(() => Read<Probe>(json));
        var text = JsonContract.Describe(e);
        if (described.EndsWith(": ", StringComparison.Ordinal)) Assert.StartsWith(described, text, StringComparison.Ordinal);
        else Assert.Equal(described, text);
        if (path is not null) Assert.Equal(path, e.Path);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("RnnSweep.", text, StringComparison.Ordinal);
    }

    /// <summary>A string whose bytes are not UTF-8 is said to be so, not "must be a string".</summary>
    [Fact]
    public void AStringOfInvalidUtf8_IsNamed()
    {
        byte[] json = [.. "{\"name\": \"a"u8, 0xff, .. "\"}"u8];
        var e = Assert.Throws<JsonException>(() => JsonContract.DeserializeInput<Probe>(json));
        Assert.Equal("is not valid text: its bytes are not UTF-8", JsonContract.Describe(e));
        Assert.Equal("$.name", e.Path);
    }

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
