using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Tests.Support;
using RnnSweep.Worker.Training;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Tests.Training;

/// <summary>The native streams give the same batches as the managed reader, for every way a text is stored.</summary>
public class TextStreamsTests
{
    public static TheoryData<string> Texts => ["bytes", "streams layout", "16-bit", "escaped", "one stream"];

    [Theory]
    [MemberData(nameof(Texts))]
    public void At_GivesFromStreams_Batches(string kind)
    {
        var (text, streams) = Make(kind);
        // Written in pieces of 100 symbols, so the copy crosses piece (and segment) boundaries.
        using var reader = new TextStreams(text, streams, chunk: 100);
        Assert.Equal(TextBatches.StreamLength(text, streams), reader.StreamLength);
        // A second copy of a wide text would take two or four bytes a symbol: such texts are read in place.
        Assert.Equal(!text.HasWideSymbols, reader.IsNative);
        Assert.Equal(kind is "bytes" or "streams layout" or "one stream", reader.IsNative);
        var checkedBatches = 0;
        foreach (var steps in new[] { 7, 1 })
        {
            for (long position = 0; position + steps <= reader.StreamLength; position += steps)
            {
                using var scope = NewDisposeScope();
                var (x, y) = reader.At(position, steps, CPU);
                var (ex, ey) = TextBatches.FromStreams(text, streams, position, steps, CPU);
                Assert.Equal(ScalarType.Int64, x.dtype);
                Assert.Equal(new long[] { streams, steps }, x.shape);
                Assert.Equal(ex.data<long>().ToArray(), x.data<long>().ToArray());
                Assert.Equal(ey.data<long>().ToArray(), y.data<long>().ToArray());
                checkedBatches++;
            }
        }
        Assert.True(checkedBatches > 10);
    }

    [Fact]
    public void At_RefusesStepsPastTheStreamsEnd()
    {
        var (text, streams) = Make("bytes");
        using var reader = new TextStreams(text, streams);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => reader.At(reader.StreamLength - 3, 4, CPU));
        Assert.Contains($"are not within the streams' {reader.StreamLength}", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.At(-1, 4, CPU));
    }

    [Fact]
    public void TheTensor_OutlivesTheDisposeScopeItWasMadeIn()
    {
        var (text, streams) = Make("bytes");
        TextStreams reader;
        using (NewDisposeScope()) reader = new TextStreams(text, streams);
        using (reader)
        using (NewDisposeScope())
        {
            var (x, _) = reader.At(3, 5, CPU);
            var (ex, _) = TextBatches.FromStreams(text, streams, 3, 5, CPU);
            Assert.Equal(ex.data<long>().ToArray(), x.data<long>().ToArray());
        }
    }

    private static (EncodedText Text, int Streams) Make(string kind)
    {
        var (text, v) = TestCorpus.Generate(1003);
        switch (kind)
        {
            case "bytes": return (text, 6);
            case "one stream": return (text, 1);
            case "streams layout":
                var hp = TestCorpus.SmallRun with { BatchSize = 10, SeqLength = 8, SplitLayout = "streams" };
                var train = CorpusSplits.From(text, v, hp).Train;
                Assert.Equal(10, train.Segments);
                return (train, 10);
            case "16-bit":
                // indices past a byte, so a uint8 copy would lose them
                var wide = new ushort[1003];
                for (var i = 0; i < wide.Length; i++) wide[i] = (ushort)(text[i] * 613 % 40_000);
                Assert.Contains(wide, w => w > 255);
                return (new EncodedText(wide), 5);
            default:
                var narrow = new byte[1003];
                for (var i = 0; i < narrow.Length; i++) narrow[i] = (byte)text[i];
                long[] positions = [10, 500, 1001];
                foreach (var p in positions) narrow[p] = EncodedText.Escape;
                var escaped = EncodedText.Escaped(narrow, positions, [300, 4000, 65_000]);
                Assert.True(escaped.HasWideSymbols);
                return (escaped, 4);
        }
    }
}
