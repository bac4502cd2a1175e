using System.Text;

namespace RnnSweep.Shared.Domain;

/// <summary>
/// The symbols a model reads and predicts: Unicode code points (<c>chars</c>) or UTF-8 byte values
/// (<c>bytes</c>, as char-rnn's Lua loader, which gives the paper's K = 87 for War and Peace).
/// Symbols are sorted, so the same corpus always gives the same indices.
/// </summary>
public sealed class Vocabulary
{
    private readonly Dictionary<int, int> _index;

    public Vocabulary(string kind, IReadOnlyList<int> symbols)
    {
        if (!VocabularyKinds.All.Contains(kind)) throw new ArgumentException($"unknown vocabulary kind '{kind}'", nameof(kind));
        Kind = kind;
        Symbols = symbols;
        _index = new Dictionary<int, int>(symbols.Count);
        for (var i = 0; i < symbols.Count; i++) _index[symbols[i]] = i;
    }

    public string Kind { get; }
    /// <summary>Code points (chars) or byte values (bytes), ascending.</summary>
    public IReadOnlyList<int> Symbols { get; }
    public int Size => Symbols.Count;

    public static Vocabulary Build(ReadOnlySpan<byte> utf8, string kind)
    {
        var seen = new bool[kind == VocabularyKinds.Bytes ? 256 : 0x110000];
        if (kind == VocabularyKinds.Bytes)
        {
            foreach (var b in utf8) seen[b] = true;
        }
        else
        {
            for (var rest = utf8; !rest.IsEmpty;) seen[NextRune(ref rest)] = true;
        }
        var symbols = new List<int>();
        for (var s = 0; s < seen.Length; s++) if (seen[s]) symbols.Add(s);
        return new Vocabulary(kind, symbols);
    }

    public int IndexOf(int symbol) =>
        _index.TryGetValue(symbol, out var i) ? i : throw new ArgumentException($"symbol U+{symbol:X4} is not in the vocabulary");

    public bool Contains(int symbol) => _index.ContainsKey(symbol);

    /// <summary>Encodes the corpus compactly: one byte per symbol while the vocabulary has at most 256 symbols.</summary>
    public EncodedText Encode(ReadOnlySpan<byte> utf8)
    {
        if (Kind == VocabularyKinds.Bytes)
        {
            var data = new byte[utf8.Length];
            for (var i = 0; i < utf8.Length; i++) data[i] = (byte)_index[utf8[i]];
            return new EncodedText(data);
        }
        // Decoded in place, never as a list of code points: memory stays one byte per symbol.
        var count = Encoding.UTF8.GetCharCount(utf8); // UTF-16 units: an upper bound on code points
        if (Size <= 256)
        {
            var data = new byte[count];
            var n = 0;
            for (var rest = utf8; !rest.IsEmpty;) data[n++] = (byte)_index[NextRune(ref rest)];
            return new EncodedText(data.AsMemory(0, n));
        }
        var wide = new ushort[count];
        var m = 0;
        for (var rest = utf8; !rest.IsEmpty;) wide[m++] = (ushort)_index[NextRune(ref rest)];
        return new EncodedText(wide.AsMemory(0, m));
    }

    /// <summary>Text of the given indices, for samples and the cell visualiser.</summary>
    public string Decode(IEnumerable<int> indices)
    {
        if (Kind == VocabularyKinds.Bytes)
        {
            var bytes = indices.Select(i => (byte)Symbols[i]).ToArray();
            return Encoding.UTF8.GetString(bytes);
        }
        var sb = new StringBuilder();
        foreach (var i in indices) sb.Append(char.ConvertFromUtf32(Symbols[i]));
        return sb.ToString();
    }

    /// <summary>The symbols of a text (code points or bytes), as the model sees them.</summary>
    public IEnumerable<int> SymbolsOf(string text) =>
        Kind == VocabularyKinds.Bytes ? Encoding.UTF8.GetBytes(text).Select(b => (int)b) : text.EnumerateRunes().Select(r => r.Value);

    private static int NextRune(ref ReadOnlySpan<byte> utf8)
    {
        Rune.DecodeFromUtf8(utf8, out var rune, out var consumed);
        utf8 = utf8[consumed..];
        return rune.Value;
    }
}

/// <summary>
/// A corpus as symbol indices: one byte per symbol while the vocabulary fits in 256 (or, beyond that, while the
/// symbols past index 254 are rare: see <see cref="Escaped"/>), 16 bits otherwise.
/// </summary>
public sealed class EncodedText
{
    /// <summary>In an escaped text, this byte says "the index is in the escape table" (indices 255 and above).</summary>
    public const byte Escape = 255;

    private readonly ReadOnlyMemory<byte> _narrow;
    private readonly ReadOnlyMemory<ushort> _wide;
    private readonly bool _isWide;
    // An escaped text: the symbols at these positions (sorted, counted from the start of the whole array, which
    // _origin places this slice in) have these indices; their bytes hold Escape.
    private readonly EscapeTable? _escapes;
    private readonly long _origin;

    public EncodedText(ReadOnlyMemory<byte> narrow) { _narrow = narrow; Length = narrow.Length; }
    public EncodedText(ReadOnlyMemory<ushort> wide) { _wide = wide; _isWide = true; Length = wide.Length; }

    private EncodedText(ReadOnlyMemory<byte> narrow, EscapeTable escapes, long origin) : this(narrow)
    {
        _escapes = escapes;
        _origin = origin;
    }

    /// <summary>
    /// One byte per symbol for a vocabulary of more than 256 symbols of which those past index 254 are rare (the
    /// Linux kernel: 361 characters, the non-ASCII ones a few in a million): such a symbol's byte is
    /// <see cref="Escape"/> and its index is kept in a table of (position, index), sorted by position. Memory: one
    /// byte per symbol plus ten per escaped one, instead of two per symbol.
    /// </summary>
    /// <param name="positions">Positions in <paramref name="narrow"/> whose byte is <see cref="Escape"/>, ascending.</param>
    /// <param name="indices">The symbol index at each of those positions (255 or more).</param>
    public static EncodedText Escaped(ReadOnlyMemory<byte> narrow, long[] positions, ushort[] indices) =>
        positions.Length == 0 ? new EncodedText(narrow) : new EncodedText(narrow, new EscapeTable(positions, indices), 0);

    public long Length { get; }

    /// <summary>Bytes of memory this text's symbols take: one or two a symbol, ten more for each escaped one.</summary>
    public long SymbolBytes => _segments?.Sum(s => s.SymbolBytes)
        ?? (_isWide ? 2 * Length : Length + 10L * (_escapes?.CountIn(_origin, Length) ?? 0));

    /// <summary>
    /// How many equal, independent segments the text is made of (1: one contiguous text). A split in the
    /// <c>streams</c> layout is one segment per stream, each ending with its last target symbol, so stream b
    /// reads segment b and never runs into its neighbour.
    /// </summary>
    public int Segments { get; private init; } = 1;

    // A joined text: its equal-length segments, read in place (no copy of the corpus), each _segmentLength long.
    private readonly EncodedText[]? _segments;
    private readonly long _segmentLength;

    private EncodedText(EncodedText[] segments)
    {
        _segments = segments;
        _segmentLength = segments[0].Length;
        _isWide = segments[0]._isWide;
        Length = _segmentLength * segments.Length;
        Segments = segments.Length;
    }

    /// <summary>
    /// Equal-length pieces read end to end as one text of <see cref="Segments"/> segments. The pieces are not
    /// copied: a worker holds the corpus's symbols once, however its splits are laid out.
    /// </summary>
    public static EncodedText Join(IReadOnlyList<EncodedText> segments)
    {
        var length = segments[0].Length;
        if (segments.Any(s => s.Length != length || s._isWide != segments[0]._isWide || s._segments is not null))
            throw new ArgumentException("segments must be plain texts of the same length and width", nameof(segments));
        return new EncodedText([.. segments]);
    }

    public int this[long i]
    {
        get
        {
            if (_segments is not null) return _segments[i / _segmentLength][i % _segmentLength];
            if (_isWide) return _wide.Span[checked((int)i)];
            var b = _narrow.Span[checked((int)i)];
            return b == Escape && _escapes is not null ? _escapes.IndexAt(_origin + i) : b;
        }
    }

    /// <summary>Whether some symbol may not fit a byte (16-bit, or escaped): a copy must then be wider than a byte.</summary>
    public bool HasWideSymbols => _isWide || _escapes is not null || (_segments?.Any(s => s.HasWideSymbols) ?? false);

    public EncodedText Slice(long start, long length)
    {
        if (_segments is not null)
        {
            var first = start / _segmentLength;
            if (length == 0 || (start + length - 1) / _segmentLength == first) return _segments[first].Slice(start % _segmentLength, length);
            // across segments (rare: analyses' excerpts): a copy of just this slice
            if (HasWideSymbols)
            {
                var wide = new ushort[length];
                for (var k = 0L; k < length; k++) wide[k] = (ushort)this[start + k];
                return new EncodedText(wide);
            }
            var narrow = new byte[length];
            for (var k = 0L; k < length; k++) narrow[k] = (byte)this[start + k];
            return new EncodedText(narrow);
        }
        if (_isWide) return new EncodedText(_wide.Slice(checked((int)start), checked((int)length)));
        var bytes = _narrow.Slice(checked((int)start), checked((int)length));
        return _escapes is null ? new EncodedText(bytes) : new EncodedText(bytes, _escapes, _origin + start);
    }

    /// <summary>Copies symbols [start, start + destination.Length) as 64-bit indices (what torch wants).</summary>
    public void CopyTo(long start, Span<long> destination)
    {
        if (_segments is not null)
        {
            AcrossSegments(start, destination, static (segment, offset, part) => segment.CopyTo(offset, part));
            return;
        }
        var s = checked((int)start);
        if (_isWide)
        {
            var src = _wide.Span.Slice(s, destination.Length);
            for (var i = 0; i < src.Length; i++) destination[i] = src[i];
        }
        else
        {
            var src = _narrow.Span.Slice(s, destination.Length);
            for (var i = 0; i < src.Length; i++) destination[i] = src[i];
            _escapes?.Patch(_origin + start, destination);
        }
    }

    /// <summary>Copies symbols [start, start + destination.Length) as bytes, for a text whose indices fit one.</summary>
    /// <exception cref="InvalidOperationException">The text has wide symbols (<see cref="HasWideSymbols"/>).</exception>
    public void CopyTo(long start, Span<byte> destination)
    {
        if (HasWideSymbols) throw new InvalidOperationException("this text has symbols past a byte: copy it to 64-bit indices");
        if (_segments is not null) AcrossSegments(start, destination, static (segment, offset, part) => segment.CopyTo(offset, part));
        else _narrow.Span.Slice(checked((int)start), destination.Length).CopyTo(destination);
    }

    private delegate void SegmentCopy<T>(EncodedText segment, long offset, Span<T> destination);

    /// <summary>A joined text's copy, segment by segment.</summary>
    private void AcrossSegments<T>(long start, Span<T> destination, SegmentCopy<T> copy)
    {
        while (!destination.IsEmpty)
        {
            var offset = start % _segmentLength;
            var take = (int)Math.Min(destination.Length, _segmentLength - offset);
            copy(_segments![start / _segmentLength], offset, destination[..take]);
            destination = destination[take..];
            start += take;
        }
    }

    /// <summary>The escaped symbols of a text: positions ascending, each with its index.</summary>
    private sealed class EscapeTable(long[] positions, ushort[] indices)
    {
        public int IndexAt(long position)
        {
            var k = Array.BinarySearch(positions, position);
            if (k < 0) throw new InvalidOperationException($"position {position} holds the escape byte but is not in the escape table");
            return indices[k];
        }

        public long CountIn(long from, long length)
        {
            int Find(long position)
            {
                var k = Array.BinarySearch(positions, position);
                return k < 0 ? ~k : k;
            }
            return Find(from + length) - Find(from);
        }

        /// <summary>Puts the escaped indices of [from, from + destination.Length) into destination.</summary>
        public void Patch(long from, Span<long> destination)
        {
            var k = Array.BinarySearch(positions, from);
            if (k < 0) k = ~k;
            var end = from + destination.Length;
            for (; k < positions.Length && positions[k] < end; k++) destination[(int)(positions[k] - from)] = indices[k];
        }
    }
}
