using System.Buffers;
using System.Text;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Worker.Training;

/// <summary>
/// A corpus file read into its encoded form and nothing else: one pass finds the vocabulary and the number of
/// symbols, a second decodes the file piece by piece straight into the one array of symbol indices (one byte per
/// symbol while the vocabulary has at most 256). The raw bytes are never held whole, so a 1.2 GB corpus costs
/// 1.2 GB of memory, not two or three times that.
/// </summary>
public static class CorpusFile
{
    private const int PieceBytes = 1 << 20;

    /// <exception cref="ValidationException">A <c>chars</c> vocabulary on a file that is not UTF-8.</exception>
    public static async Task<(Vocabulary Vocabulary, EncodedText Text)> EncodeAsync(string file, string kind, CancellationToken ct)
    {
        List<int> symbols;
        long count;
        await using (var read = Open(file))
        using (var scan = await TextScan.OfAsync(read, ct))
        {
            if (kind != VocabularyKinds.Bytes && scan.InvalidAt is { } at)
                throw new ValidationException("corpus", $"is not UTF-8 text (invalid byte at offset {at}); train it with the bytes vocabulary");
            symbols = scan.Symbols(kind);
            count = kind == VocabularyKinds.Bytes ? scan.Bytes : scan.Characters;
        }
        var vocabulary = new Vocabulary(kind, symbols);
        var map = new int[kind == VocabularyKinds.Bytes ? 256 : 0x110000];
        for (var i = 0; i < symbols.Count; i++) map[symbols[i]] = i;

        byte[]? narrow = vocabulary.Size <= 256 ? new byte[count] : null;
        ushort[]? wide = narrow is null ? new ushort[count] : null;
        long n = 0;
        void Put(int symbol)
        {
            if (narrow is not null) narrow[n++] = (byte)map[symbol];
            else wide![n++] = (ushort)map[symbol];
        }

        var buffer = ArrayPool<byte>.Shared.Rent(PieceBytes + 4);
        try
        {
            await using var read = Open(file);
            var carried = 0;
            int got;
            while ((got = await read.ReadAsync(buffer.AsMemory(carried, PieceBytes), ct)) > 0)
            {
                var piece = buffer.AsSpan(0, carried + got);
                if (kind == VocabularyKinds.Bytes)
                {
                    foreach (var b in piece) Put(b);
                    continue;
                }
                var offset = 0;
                while (offset < piece.Length)
                {
                    if (Rune.DecodeFromUtf8(piece[offset..], out var rune, out var used) != OperationStatus.Done) break; // cut: the rest waits for the next piece
                    Put(rune.Value);
                    offset += used;
                }
                carried = piece.Length - offset;
                piece[offset..].CopyTo(buffer);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (n != count) throw new InvalidDataException($"{file} changed while it was read ({n} symbols, {count} expected)");
        return (vocabulary, narrow is not null ? new EncodedText(narrow) : new EncodedText(wide!));
    }

    private static FileStream Open(string file) => new(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
}

/// <summary>
/// The corpus this Worker process encoded last, shared by its jobs (training, n-gram baseline, analysis, samples) so a
/// process holds one copy of a corpus's symbols however many jobs read it; the symbols are never written to.
/// </summary>
public static class LoadedCorpus
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static (string Key, Vocabulary Vocabulary, EncodedText Text)? _last;

    public static async Task<(Vocabulary Vocabulary, EncodedText Text)> GetAsync(string sha256, string file, string kind, CancellationToken ct)
    {
        var key = sha256 + "/" + kind;
        await Gate.WaitAsync(ct);
        try
        {
            if (_last is { } last && last.Key == key) return (last.Vocabulary, last.Text);
            // why: the previous corpus's symbols (and any garbage of the fetch) must be gone before the next ones are
            // allocated, or a Worker holds a large corpus beside memory it no longer needs.
            _last = null;
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            var (vocabulary, text) = await CorpusFile.EncodeAsync(file, kind, ct);
            _last = (key, vocabulary, text);
            return (vocabulary, text);
        }
        finally
        {
            Gate.Release();
        }
    }
}
