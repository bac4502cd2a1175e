using System.Text;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Training;

namespace RnnSweep.Worker.Tests.Training;

/// <summary>
/// A corpus file encoded for training (<see cref="CorpusFile"/>): the same symbol indices as encoding the bytes in
/// memory (<see cref="Vocabulary.Encode"/>), read every way training reads them (index, copy, slice, the streams
/// layout's joined segments), and one byte a symbol when a vocabulary past 256 has rare symbols beyond index 254
/// (the Linux kernel's case), two when they are common.
/// </summary>
public sealed class CorpusFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rnnsweep-corpus-file-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>ASCII text with 300 other characters (U+0400...) sprinkled in: one in every <paramref name="every"/> characters.</summary>
    private string Write(int length, int every, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            text.Append(i % every == every - 1 ? (char)(0x400 + i / every % 300) : (char)random.Next(32, 127));
        }
        var file = Path.Combine(_dir, $"corpus-{length}-{every}.txt");
        File.WriteAllText(file, text.ToString(), new UTF8Encoding(false));
        return file;
    }

    [Theory]
    [InlineData(200_000, 50, 1L)]   // rare: one byte a symbol, escapes beside it
    [InlineData(60_000, 3, 2L)]     // common: 16 bits a symbol
    public async Task AFileWithMoreThan256Characters_EncodesAsInMemory_ReadEveryWay(int length, int every, long bytesPerSymbol)
    {
        var file = Write(length, every, seed: length);
        var bytes = await File.ReadAllBytesAsync(file);
        var expectedVocabulary = Vocabulary.Build(bytes, VocabularyKinds.Chars);
        var expected = expectedVocabulary.Encode(bytes);

        var (vocabulary, text) = await CorpusFile.EncodeAsync(file, VocabularyKinds.Chars, CancellationToken.None);

        Assert.True(vocabulary.Size > 256, $"{vocabulary.Size} characters");
        Assert.Equal(expectedVocabulary.Symbols, vocabulary.Symbols);
        Assert.Equal(expected.Length, text.Length);
        Assert.InRange(text.SymbolBytes, bytesPerSymbol * text.Length, bytesPerSymbol * text.Length + 10L * text.Length / every + 10);
        for (var i = 0L; i < text.Length; i++) Assert.True(expected[i] == text[i], $"symbol {i}: {text[i]}, not {expected[i]}");

        var random = new Random(3);
        for (var k = 0; k < 200; k++)
        {
            var start = random.NextInt64(text.Length - 1000);
            var window = new long[random.Next(1, 1000)];
            text.CopyTo(start, window);
            var slice = text.Slice(start, window.Length);
            var fromSlice = new long[window.Length];
            slice.CopyTo(0, fromSlice);
            for (var i = 0; i < window.Length; i++)
            {
                Assert.Equal(expected[start + i], window[i]);
                Assert.Equal(expected[start + i], fromSlice[i]);
                Assert.Equal(expected[start + i], slice[i]);
            }
        }

        // The streams layout: each split joins one slice per stream; reading across segments copies, never truncates.
        var hp = new Hyperparameters { SplitLayout = "streams", BatchSize = 10, SeqLength = 20, TrainFraction = 0.8, ValFraction = 0.1, TestFraction = 0.1 };
        var splits = CorpusSplits.From(text, vocabulary.Size, hp);
        var reference = CorpusSplits.From(expected, vocabulary.Size, hp);
        foreach (var (actual, wanted) in new[] { (splits.Train, reference.Train), (splits.Validation, reference.Validation), (splits.Test, reference.Test) })
        {
            Assert.Equal(wanted.Length, actual.Length);
            var all = new long[actual.Length];
            var want = new long[wanted.Length];
            actual.CopyTo(0, all);
            wanted.CopyTo(0, want);
            Assert.Equal(want, all);
            var across = actual.Slice(actual.Length / actual.Segments - 5, 10);
            for (var i = 0; i < 10; i++) Assert.Equal(wanted[actual.Length / actual.Segments - 5 + i], across[i]);
        }
    }

    [Fact]
    public async Task AFileWithAtMost256Characters_IsOneByteASymbol_WithoutEscapes()
    {
        var file = Path.Combine(_dir, "small.txt");
        await File.WriteAllTextAsync(file, string.Concat(Enumerable.Range(0, 5000).Select(i => (char)('a' + i % 26))) + "ÿ€", new UTF8Encoding(false));
        var (vocabulary, text) = await CorpusFile.EncodeAsync(file, VocabularyKinds.Chars, CancellationToken.None);
        Assert.Equal(28, vocabulary.Size);
        Assert.Equal(text.Length, text.SymbolBytes);
        Assert.Equal(27, text[text.Length - 1]);
    }
}
