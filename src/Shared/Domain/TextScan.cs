using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace RnnSweep.Shared.Domain;

/// <summary>
/// One pass over a text given in pieces of any size (a file, a database's chunks): its SHA-256, size, code points,
/// distinct bytes and code points, and where it stops being text (the first invalid UTF-8 or NUL byte). Holds at most
/// three bytes of the text between pieces, so a corpus of any size is measured in constant memory.
/// </summary>
public sealed class TextScan : IDisposable
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly bool[] _bytes = new bool[256];
    private readonly bool[] _runes = new bool[0x110000];
    private readonly byte[] _carry = new byte[4];
    private int _carried;
    private string? _sha256;

    public long Bytes { get; private set; }
    public long Characters { get; private set; }
    /// <summary>Offset of the first byte that is not part of valid UTF-8, or null.</summary>
    public long? InvalidAt { get; private set; }
    /// <summary>Offset of the first NUL byte (binary data), or null.</summary>
    public long? NulAt { get; private set; }

    public void Add(ReadOnlySpan<byte> piece)
    {
        _sha.AppendData(piece);
        foreach (var b in piece) _bytes[b] = true;
        if (NulAt is null && piece.IndexOf((byte)0) is >= 0 and var nul) NulAt = Bytes + nul;
        var start = Bytes;
        Bytes += piece.Length;
        if (InvalidAt is not null) return;
        // A character cut between two pieces: complete it from the new piece first.
        while (_carried > 0 && !piece.IsEmpty)
        {
            _carry[_carried++] = piece[0];
            piece = piece[1..];
            start++;
            var status = Rune.DecodeFromUtf8(_carry.AsSpan(0, _carried), out var rune, out var used);
            if (status == OperationStatus.Done) { Count(rune); _carried = 0; }
            else if (status != OperationStatus.NeedMoreData || _carried == 4) { InvalidAt = start - _carried; return; }
        }
        var offset = 0;
        while (offset < piece.Length)
        {
            var status = Rune.DecodeFromUtf8(piece[offset..], out var rune, out var used);
            if (status == OperationStatus.Done) { Count(rune); offset += used; continue; }
            if (status == OperationStatus.NeedMoreData)
            {
                piece[offset..].CopyTo(_carry);
                _carried = piece.Length - offset;
                return;
            }
            InvalidAt = start + offset;
            return;
        }
    }

    private void Count(Rune rune)
    {
        _runes[rune.Value] = true;
        Characters++;
    }

    /// <summary>Ends the text: a character left incomplete makes it invalid.</summary>
    public TextScan Complete()
    {
        if (_carried > 0 && InvalidAt is null) InvalidAt = Bytes - _carried;
        _carried = 0;
        _sha256 ??= Convert.ToHexStringLower(_sha.GetHashAndReset());
        return this;
    }

    /// <summary>Lowercase hex SHA-256 of everything added (after <see cref="Complete"/>).</summary>
    public string Sha256 => _sha256 ?? throw new InvalidOperationException("call Complete first");

    /// <summary>The sorted symbols seen: code points (<c>chars</c>, valid UTF-8 only) or byte values (<c>bytes</c>).</summary>
    public List<int> Symbols(string kind)
    {
        var seen = kind == VocabularyKinds.Bytes ? _bytes : _runes;
        var symbols = new List<int>();
        for (var s = 0; s < seen.Length; s++) if (seen[s]) symbols.Add(s);
        return symbols;
    }

    public int DistinctBytes => _bytes.Count(b => b);
    public int DistinctCharacters => _runes.Count(b => b);

    /// <summary>Scans a whole stream in 1 MiB pieces.</summary>
    public static async Task<TextScan> OfAsync(Stream stream, CancellationToken ct)
    {
        var scan = new TextScan();
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, 1 << 20), ct)) > 0) scan.Add(buffer.AsSpan(0, read));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return scan.Complete();
    }

    public void Dispose() => _sha.Dispose();
}
