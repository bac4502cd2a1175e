using System.Text;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Analysis;

/// <summary>Priming with text cut from the corpus works for every vocabulary, bytes included.</summary>
public class SamplerPrimeTests
{
    private const string Text = "Наташа сказала: «Ах, как хорошо!» — и засмеялась. Café naïve. ";

    [Theory]
    [InlineData("bytes")]
    [InlineData("chars")]
    public void Sample_AcceptsAPrimeCutFromTheCorpus_EvenInTheMiddleOfAMultiByteCharacter(string kind)
    {
        var utf8 = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(Text, 20)));
        var vocabulary = Vocabulary.Build(utf8, kind);
        var encoded = vocabulary.Encode(utf8);
        // 7 symbols: in bytes, "Нат" is 6 bytes, so the cut falls inside 'а' (2 bytes).
        var prime = Enumerable.Range(0, 7).Select(i => encoded[i]).ToArray();
        manual_seed(3);
        using var model = new CharRnn(ModelType.Lstm, 1, 16, vocabulary.Size, oneHot: true, dropoutRate: 0);

        var sample = Sampler.Sample(model, vocabulary, new SamplingOptions { PrimeText = vocabulary.Decode(prime), PrimeSymbols = prime, Length = 50, Seed = 1 });

        Assert.False(string.IsNullOrEmpty(sample));
        if (kind == "bytes")
        {
            Assert.EndsWith("\uFFFD", vocabulary.Decode(prime), StringComparison.Ordinal);    // the half character has no text form
            // Fed as text instead, the half character's replacement would be a symbol the corpus never had.
            Assert.Throws<ArgumentException>(() => Sampler.Sample(model, vocabulary, new SamplingOptions { PrimeText = vocabulary.Decode(prime), Length = 5 }));
        }
    }

    [Fact]
    public void Sample_NamesTheIndex_WhenAPrimeSymbolIsOutsideTheVocabulary()
    {
        var vocabulary = Vocabulary.Build("abc"u8, "chars");
        manual_seed(3);
        using var model = new CharRnn(ModelType.Gru, 1, 4, vocabulary.Size, oneHot: true, dropoutRate: 0);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Sampler.Sample(model, vocabulary, new SamplingOptions { PrimeSymbols = [0, 7], Length = 3 }));

        Assert.Contains("7", error.Message, StringComparison.Ordinal);
    }
}
