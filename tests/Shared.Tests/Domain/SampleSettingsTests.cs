using RnnSweep.Shared.Domain;

namespace RnnSweep.Shared.Tests.Domain;

/// <summary>The one sampling record: its defaults, and each bad field named (JSON null included, never dereferenced).</summary>
public sealed class SampleSettingsTests
{
    [Fact]
    public void TheDefaults_AreValid_AndAreTheDocumentedOnes()
    {
        var d = SampleSettings.Default;
        Assert.Empty(d.Validate());
        Assert.Equal((SamplingMethods.Multinomial, 1.0, 10, "", 42L, 500, 1), (d.Method, d.Temperature, d.TopK, d.PrimeText, d.Seed, d.Length, d.Count));
    }

    public static TheoryData<string, SampleSettings, string> OneBadField => new()
    {
        { "method", new SampleSettings { Method = "beam" }, "'beam'" },
        { "method", new SampleSettings { Method = null! }, "null" },
        { "temperature", new SampleSettings { Temperature = 0 }, "(0, 100]" },
        { "temperature", new SampleSettings { Temperature = double.NaN }, "NaN" },
        { "temperature", new SampleSettings { Temperature = 100.5 }, "100.5" },
        { "topK", new SampleSettings { TopK = 0 }, "65535" },
        { "length", new SampleSettings { Length = SampleSettings.MaxLength + 1 }, $"{SampleSettings.MaxLength + 1}" },
        { "primeText", new SampleSettings { PrimeText = null! }, "null" },
        { "primeText", new SampleSettings { PrimeText = new string('a', SampleSettings.MaxPrimeLength + 1) }, "at most" },
        { "primeText", new SampleSettings { PrimeText = "a\0b" }, "NUL" },
        { "primeText", new SampleSettings { PrimeText = new string([(char)0xD800, 'b']) }, "surrogate" },
        { "seed", new SampleSettings { Seed = -1 }, "-1" },
        { "count", new SampleSettings { Count = 0 }, "between 1 and 64, not 0" },
        { "count", new SampleSettings { Count = SampleSettings.MaxCount + 1 }, $"{SampleSettings.MaxCount + 1}" },
        { "seed", new SampleSettings { Seed = SampleSettings.MaxSeed + 1 }, "between 0 and 2147483647" }, // would fold onto a smaller seed's text
        { "seed", new SampleSettings { Seed = SampleSettings.MaxSeed, Count = 2 }, "room for 2 seeds" },     // text 2 would be seed 2^31's
    };

    [Fact]
    public void TheLargestSeeds_AreAccepted()
    {
        Assert.Empty(new SampleSettings { Seed = SampleSettings.MaxSeed }.Validate());
        Assert.Empty(new SampleSettings { Seed = SampleSettings.MaxSeed - 63, Count = 64 }.Validate());
    }

    [Theory]
    [MemberData(nameof(OneBadField))]
    public void OneBadValue_IsOneErrorNamingItsField(string field, SampleSettings settings, string mentions)
    {
        var error = Assert.Single(settings.Validate());
        Assert.Equal(field, error.Field);
        Assert.Contains(mentions, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IsWellFormed_RefusesOnlyUnpairedSurrogates()
    {
        // Built from code units here: attribute data cannot carry a lone surrogate intact.
        string Of(params int[] units) => new(units.Select(u => (char)u).ToArray());
        Assert.True(SampleSettings.IsWellFormed(""));
        Assert.True(SampleSettings.IsWellFormed("plain"));
        Assert.True(SampleSettings.IsWellFormed(Of(0xD83D, 0xDE00, 'x')));   // a pair is one character
        Assert.False(SampleSettings.IsWellFormed(Of(0xDE00, 0xD83D)));       // the same two, in the wrong order
        Assert.False(SampleSettings.IsWellFormed(Of('e', 'n', 'd', 0xD83D))); // high, then nothing
        Assert.False(SampleSettings.IsWellFormed(Of(0xD83D, 'x')));          // high, then no low
    }
}
