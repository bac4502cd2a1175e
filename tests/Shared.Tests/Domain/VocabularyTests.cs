using System.Text;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Shared.Tests.Domain;

/// <summary>A corpus's vocabulary: its symbols sorted, encoding and decoding as inverses, in both kinds.</summary>
public sealed class VocabularyTests
{
    private static readonly byte[] Text = Encoding.UTF8.GetBytes("héllo wörld, hé!");

    [Fact]
    public void Chars_AreTheTextsCodePoints_InOrder_AndRoundTrip()
    {
        var vocabulary = Vocabulary.Build(Text, VocabularyKinds.Chars);

        Assert.Equal(" !,dhlorwéö".EnumerateRunes().Select(r => r.Value), vocabulary.Symbols);
        var encoded = vocabulary.Encode(Text);
        Assert.Equal("héllo wörld, hé!".Length, encoded.Length);
        Assert.Equal(encoded.Length, encoded.SymbolBytes); // 11 symbols: one byte each
        var indices = Enumerable.Range(0, (int)encoded.Length).Select(i => encoded[i]).ToList();
        Assert.Equal(vocabulary.IndexOf('h'), indices[0]);
        Assert.Equal("héllo wörld, hé!", vocabulary.Decode(indices));
    }

    [Fact]
    public void Bytes_AreTheUtf8Bytes_SoAnAccentIsTwoSymbols_AndRoundTrip()
    {
        var vocabulary = Vocabulary.Build(Text, VocabularyKinds.Bytes);

        Assert.Equal(Text.Distinct().Order().Select(b => (int)b), vocabulary.Symbols);
        var encoded = vocabulary.Encode(Text);
        Assert.Equal(Text.Length, encoded.Length);
        Assert.Equal("héllo wörld, hé!", vocabulary.Decode(Enumerable.Range(0, (int)encoded.Length).Select(i => encoded[i])));
        Assert.Equal(2, vocabulary.SymbolsOf("é").Count());
    }

    [Fact]
    public void MoreThan256Characters_AreSixteenBitsASymbol_AndRoundTrip()
    {
        var text = string.Concat(Enumerable.Range(0, 300).Select(i => (char)(0x400 + i))) + "ab";
        var utf8 = Encoding.UTF8.GetBytes(text);
        var vocabulary = Vocabulary.Build(utf8, VocabularyKinds.Chars);

        var encoded = vocabulary.Encode(utf8);
        Assert.Equal(302, vocabulary.Size);
        Assert.Equal(2 * encoded.Length, encoded.SymbolBytes);
        Assert.Equal(text, vocabulary.Decode(Enumerable.Range(0, (int)encoded.Length).Select(i => encoded[i])));
    }

    [Fact]
    public void ASymbolOutsideIt_IsNamed()
    {
        var vocabulary = Vocabulary.Build("abc"u8, VocabularyKinds.Chars);

        Assert.False(vocabulary.Contains('z'));
        var e = Assert.Throws<ArgumentException>(() => vocabulary.IndexOf('z'));
        Assert.Contains("U+007A", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SliceAndJoin_ReadTheSameSymbols()
    {
        var vocabulary = Vocabulary.Build("abcdefghij"u8, VocabularyKinds.Chars);
        var encoded = vocabulary.Encode("abcdefghij"u8);

        var joined = EncodedText.Join([encoded.Slice(6, 3), encoded.Slice(0, 3)]);
        var read = new long[joined.Length];
        joined.CopyTo(0, read);

        Assert.Equal(2, joined.Segments);
        Assert.Equal("ghiabc", vocabulary.Decode(read.Select(i => (int)i)));
        Assert.Equal(vocabulary.IndexOf('b'), joined[4]);
    }
}
