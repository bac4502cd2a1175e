using System.Buffers;
using System.Text;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Hosting;

namespace RnnSweep.Worker.Training;

/// <summary>
/// A corpus file read into its encoded form and nothing else: one pass finds the vocabulary and the number of
/// symbols, a second decodes the file piece by piece straight into the one array of symbol indices: one byte per
/// symbol while the vocabulary has at most 256, and also beyond while the symbols past index 254 are rare (they are
/// escaped, <see cref="EncodedText.Escaped"/>), else two. The raw bytes are never held whole, so the kernel's 1.18 GB
/// with its 361 characters costs 1.18 GB of memory, not 2.35 GB of 16-bit symbols or the bytes beside them.
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

        if (vocabulary.Size <= 256)
        {
            var narrow = new byte[count];
            long n = 0;
            await DecodeAsync(file, kind, symbol => narrow[n++] = (byte)map[symbol], ct);
            Check(file, n, count);
            return (vocabulary, new EncodedText(narrow));
        }
        // More than 256 symbols (the kernel's 361 characters): one byte each all the same, the rare ones past index 254
        // escaped (EncodedText.Escaped), unless they are so many that 16 bits a symbol cost less.
        if (await EscapedAsync(file, kind, map, count, ct) is { } escaped) return (vocabulary, escaped);
        var wide = new ushort[count];
        long m = 0;
        await DecodeAsync(file, kind, symbol => wide[m++] = (ushort)map[symbol], ct);
        Check(file, m, count);
        return (vocabulary, new EncodedText(wide));
    }

    /// <summary>The file as one byte a symbol with an escape table, or null once escapes exceed a tenth of the symbols (10 bytes each).</summary>
    private static async Task<EncodedText?> EscapedAsync(string file, string kind, int[] map, long count, CancellationToken ct)
    {
        var narrow = new byte[count];
        var positions = new List<long>();
        var indices = new List<ushort>();
        var limit = count / 10;
        long n = 0;
        var complete = await DecodeAsync(file, kind, symbol =>
        {
            var index = map[symbol];
            if (index < EncodedText.Escape)
            {
                narrow[n++] = (byte)index;
                return true;
            }
            positions.Add(n);
            indices.Add((ushort)index);
            narrow[n++] = EncodedText.Escape;
            return positions.Count <= limit;
        }, ct);
        if (!complete) return null;
        Check(file, n, count);
        return EncodedText.Escaped(narrow, [.. positions], [.. indices]);
    }

    private static void Check(string file, long n, long count)
    {
        if (n != count) throw new InvalidDataException($"{file} changed while it was read ({n} symbols, {count} expected)");
    }

    private static Task DecodeAsync(string file, string kind, Action<int> put, CancellationToken ct) =>
        DecodeAsync(file, kind, symbol => { put(symbol); return true; }, ct);

    /// <summary>Reads the file piece by piece and gives each symbol (byte or code point) to <paramref name="put"/>; stops, returning false, when it does.</summary>
    private static async Task<bool> DecodeAsync(string file, string kind, Func<int, bool> put, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(PieceBytes + 4);
        try
        {
            await using var read = Open(file);
            var carried = 0;
            int got;
            while ((got = await read.ReadAsync(buffer.AsMemory(carried, PieceBytes), ct)) > 0)
            {
                if (!Decode(buffer, carried + got, kind, put, out carried)) return false;
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Decodes buffer[0, length); a character cut at the end is moved to the front of the buffer to wait for the next piece.</summary>
    private static bool Decode(byte[] buffer, int length, string kind, Func<int, bool> put, out int carried)
    {
        var piece = buffer.AsSpan(0, length);
        carried = 0;
        if (kind == VocabularyKinds.Bytes)
        {
            foreach (var b in piece) if (!put(b)) return false;
            return true;
        }
        var offset = 0;
        while (offset < piece.Length)
        {
            if (Rune.DecodeFromUtf8(piece[offset..], out var rune, out var used) != OperationStatus.Done) break; // cut: the rest waits for the next piece
            if (!put(rune.Value)) return false;
            offset += used;
        }
        carried = piece.Length - offset;
        piece[offset..].CopyTo(buffer);
        return true;
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
            FreedMemory.Return(compactLargeObjects: true);
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
