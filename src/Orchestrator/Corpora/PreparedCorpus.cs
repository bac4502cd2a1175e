using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>
/// A corpus checked and measured, ready to store: its checksum and sizes, and a way to read its bytes (from memory
/// or from a temporary file, deleted when this is disposed), so that a corpus of any size is stored without being
/// held in memory.
/// </summary>
public sealed class PreparedCorpus : IDisposable
{
    private readonly Func<Stream> _open;
    private readonly string? _tempFile;

    private PreparedCorpus(TextScan scan, Func<Stream> open, string? tempFile, string? recipe)
    {
        Sha256 = scan.Sha256;
        Bytes = scan.Bytes;
        Characters = scan.Characters;
        VocabularySize = scan.DistinctCharacters;
        ByteVocabularySize = scan.DistinctBytes;
        _open = open;
        _tempFile = tempFile;
        Recipe = recipe;
    }

    public string Sha256 { get; }
    public long Bytes { get; }
    public long Characters { get; }
    /// <summary>Distinct code points.</summary>
    public int VocabularySize { get; }
    /// <summary>Distinct byte values.</summary>
    public int ByteVocabularySize { get; }
    /// <summary>The recipe as stored (JSON), or null for a text given as it is.</summary>
    public string? Recipe { get; }

    public Stream Open() => _open();

    /// <summary>A text given whole (an upload, inline text, a file), checked as <see cref="CorpusCheck.Scan"/> says.</summary>
    public static PreparedCorpus FromBytes(byte[] content, long maxBytes, string field)
    {
        using var scan = new TextScan();
        scan.Add(content);
        CorpusCheck.Scan(scan.Complete(), maxBytes, field);
        return new PreparedCorpus(scan, () => new MemoryStream(content, writable: false), null, null);
    }

    /// <summary>A text in a temporary file that this object now owns (and deletes).</summary>
    public static async Task<PreparedCorpus> FromTempFileAsync(string file, long maxBytes, string field, string? recipe, CancellationToken ct)
    {
        try
        {
            await using var read = File.OpenRead(file);
            using var scan = await TextScan.OfAsync(read, ct);
            CorpusCheck.Scan(scan, maxBytes, field);
            return new PreparedCorpus(scan, () => new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20), file, recipe);
        }
        catch
        {
            File.Delete(file);
            throw;
        }
    }

    public void Dispose()
    {
        if (_tempFile is not null) File.Delete(_tempFile);
    }
}
