using System.Formats.Tar;
using System.IO.Compression;
using SharpCompress.Compressors.Xz;

namespace RnnSweep.Orchestrator.Corpora;

/// <summary>
/// The regular files of a source tree or tarball that a recipe takes, by path, readable in any order. A tarball is read
/// once, front to back, and the files taken are spooled to one temporary file (a compressed archive cannot be read
/// out of order); a folder's files are read where they are. Symbolic links, devices and folders are skipped.
/// </summary>
public sealed class SourceFiles : IDisposable
{
    private readonly Dictionary<string, (long Offset, long Length)> _spooled = new(StringComparer.Ordinal);
    private readonly string? _root;
    private readonly FileStream? _spool;

    private SourceFiles(string? root, FileStream? spool)
    {
        _root = root;
        _spool = spool;
    }

    /// <summary>The paths taken, '/'-separated, relative to the folder or archive root, in ordinal order.</summary>
    public IReadOnlyList<string> Paths { get; private set; } = [];

    public static SourceFiles FromFolder(string root, Func<string, bool> take)
    {
        var paths = new List<string>();
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false };
        foreach (var file in Directory.EnumerateFiles(root, "*", options))
        {
            var path = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (take(path)) paths.Add(path);
        }
        paths.Sort(StringComparer.Ordinal);
        return new SourceFiles(root, null) { Paths = paths };
    }

    /// <summary>Reads a .tar, .tar.gz or .tar.xz (told apart by their first bytes, not their names) into a spool file.</summary>
    /// <exception cref="InvalidDataException">The file is not a tarball of a supported kind, or is damaged.</exception>
    public static async Task<SourceFiles> FromTarballAsync(string tarball, Func<string, bool> take, string tempDir, CancellationToken ct)
    {
        Directory.CreateDirectory(tempDir);
        var spoolPath = Path.Combine(tempDir, $"corpus-spool-{Guid.NewGuid():N}.tmp");
        var spool = new FileStream(spoolPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.DeleteOnClose);
        var files = new SourceFiles(null, spool);
        try
        {
            await using var input = new FileStream(tarball, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            await using var tar = await DecompressAsync(input, ct);
            using var reader = new TarReader(tar);
            TarEntry? entry;
            while ((entry = await reader.GetNextEntryAsync(copyData: false, ct)) is not null)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile)) continue;
                var path = entry.Name.Replace('\\', '/');
                while (path.StartsWith("./", StringComparison.Ordinal)) path = path[2..];
                if (path.Length == 0 || !take(path)) continue;
                var offset = spool.Position;
                if (entry.DataStream is { } data) await data.CopyToAsync(spool, ct);
                files._spooled[path] = (offset, spool.Position - offset); // a path given twice: the later copy wins, as tar extracts it
            }
            await spool.FlushAsync(ct);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or SharpCompress.Common.ArchiveException or IOException and not FileNotFoundException)
        {
            files.Dispose();
            throw new InvalidDataException($"{tarball} is not a readable .tar, .tar.gz or .tar.xz file ({e.Message})", e);
        }
        catch
        {
            files.Dispose();
            throw;
        }
        var paths = files._spooled.Keys.ToList();
        paths.Sort(StringComparer.Ordinal);
        files.Paths = paths;
        return files;
    }

    private static async Task<Stream> DecompressAsync(FileStream input, CancellationToken ct)
    {
        var magic = new byte[6];
        var read = await input.ReadAtLeastAsync(magic, magic.Length, throwOnEndOfStream: false, ct);
        input.Position = 0;
        if (read >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return new GZipStream(input, CompressionMode.Decompress);
        if (read == 6 && magic.AsSpan().SequenceEqual((byte[])[0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00])) return new XZStream(input);
        return input;
    }

    /// <summary>Opens one of <see cref="Paths"/> for reading.</summary>
    public Stream Open(string path)
    {
        if (_root is not null) return new FileStream(Path.Combine(_root, path), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var (offset, length) = _spooled[path];
        return new SpoolSlice(_spool!, offset, length);
    }

    public void Dispose() => _spool?.Dispose();

    /// <summary>A read-only window on the spool file.</summary>
    private sealed class SpoolSlice(FileStream spool, long offset, long length) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset2, int count) => Read(buffer.AsSpan(offset2, count));
        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, length - _position);
            if (n <= 0) return 0;
            n = RandomAccess.Read(spool.SafeFileHandle, buffer[..n], offset + _position);
            _position += n;
            return n;
        }
        public override long Seek(long o, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int o, int count) => throw new NotSupportedException();
    }
}
