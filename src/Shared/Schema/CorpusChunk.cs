namespace RnnSweep.Shared.Schema;

/// <summary>
/// One piece of a corpus's bytes (<c>corpus_chunks</c>): the text is the concatenation of its chunks by
/// <see cref="Index"/> (0, 1, ...), each at most <see cref="CorpusChunks.ChunkBytes"/> long.
/// </summary>
public sealed class CorpusChunk
{
    public long CorpusId { get; set; }
    public int Index { get; set; }
    public required byte[] Data { get; set; }
}
