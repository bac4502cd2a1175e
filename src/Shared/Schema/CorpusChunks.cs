using Npgsql;
using NpgsqlTypes;

namespace RnnSweep.Shared.Schema;

/// <summary>
/// A corpus's bytes in <c>corpus_chunks</c>: written from a stream and read back into one, a chunk at a time, so neither
/// side holds more than one chunk of a corpus of any size (PostgreSQL limits one field to 1 GB).
/// </summary>
public static class CorpusChunks
{
    /// <summary>Bytes per chunk: 16 MiB, small enough for one round trip, large enough for few rows.</summary>
    public const int ChunkBytes = 16 << 20;

    /// <summary>Writes the stream as chunks 0, 1, ... of the corpus; returns how many. Runs in the caller's transaction.</summary>
    public static async Task<int> WriteAsync(NpgsqlConnection db, long corpusId, Stream content, CancellationToken ct, int chunkBytes = ChunkBytes)
    {
        var buffer = new byte[chunkBytes];
        var index = 0;
        while (true)
        {
            var filled = 0;
            int read;
            while (filled < buffer.Length && (read = await content.ReadAsync(buffer.AsMemory(filled), ct)) > 0) filled += read;
            if (filled == 0) break;
            await using var cmd = new NpgsqlCommand("insert into corpus_chunks (corpus_id, index, data) values ($1, $2, $3)", db);
            cmd.Parameters.AddWithValue(corpusId);
            cmd.Parameters.AddWithValue(index++);
            cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = new ReadOnlyMemory<byte>(buffer, 0, filled) });
            await cmd.ExecuteNonQueryAsync(ct);
            if (filled < buffer.Length) break;
        }
        return index;
    }

    /// <summary>Copies the corpus's chunks in order into <paramref name="destination"/>, one chunk in memory at a time (an open connection).</summary>
    public static async Task CopyToAsync(NpgsqlConnection db, long corpusId, Stream destination, CancellationToken ct)
    {
        int chunks;
        await using (var count = new NpgsqlCommand("select chunks from corpora where id = $1", db))
        {
            count.Parameters.AddWithValue(corpusId);
            chunks = (int)(await count.ExecuteScalarAsync(ct) ?? throw new InvalidOperationException($"corpus {corpusId} is not in the database"));
        }
        // Read in pieces into one reused buffer (sequential access): a chunk never becomes a 16 MiB array, so fetching a
        // gigabyte leaves no gigabyte of garbage behind for the encoded corpus to sit beside.
        var buffer = new byte[1 << 20];
        for (var index = 0; index < chunks; index++)
        {
            await using var cmd = new NpgsqlCommand("select data from corpus_chunks where corpus_id = $1 and index = $2", db);
            cmd.Parameters.AddWithValue(corpusId);
            cmd.Parameters.AddWithValue(index);
            await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
            if (!await reader.ReadAsync(ct)) throw new InvalidOperationException($"corpus {corpusId} lacks chunk {index} of {chunks}");
            long offset = 0;
            long read;
            while ((read = reader.GetBytes(0, offset, buffer, 0, buffer.Length)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, (int)read), ct);
                offset += read;
            }
        }
    }

    /// <summary>Scans a stored corpus (<see cref="Domain.TextScan"/>) chunk by chunk: its symbols without holding its bytes.</summary>
    public static async Task<Domain.TextScan> ScanAsync(NpgsqlConnection db, long corpusId, CancellationToken ct)
    {
        var scan = new Domain.TextScan();
        await using var sink = new ScanStream(scan);
        await CopyToAsync(db, corpusId, sink, ct);
        return scan.Complete();
    }

    /// <summary>A write-only stream that feeds a scan.</summary>
    private sealed class ScanStream(Domain.TextScan scan) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => scan.Add(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => scan.Add(buffer);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) { scan.Add(buffer.Span); return ValueTask.CompletedTask; }
    }
}
