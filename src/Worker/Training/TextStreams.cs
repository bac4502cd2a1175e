using RnnSweep.Shared.Domain;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Training;

/// <summary>
/// A split read as <see cref="TextBatches"/>' parallel streams. While every symbol index fits a byte, the symbols are
/// copied once into a native uint8 tensor and each batch's x and y are strided views of it, turned into (B, T) int64
/// by one libtorch op each; a text with wider symbols (a vocabulary past 255, escaped or 16-bit) is read through
/// <see cref="TextBatches.FromStreams"/>, as a second copy at two or four bytes a symbol would cost more memory than
/// it saves time. Same values either way.
/// Why: a batch built through a managed buffer cost about 0.2 ms beside the training step (1 % of an LSTM 1x64 step
/// of 128 x 70 on two threads, measured with the variants shuffled batch by batch); this way about 0.03 ms.
/// Memory: one byte per symbol of the split, beside the corpus's own copy, for byte-wide texts; nothing otherwise.
/// </summary>
internal sealed class TextStreams : IDisposable
{
    /// <summary>Symbols written into the native tensor per step (a span is at most 2^31 long).</summary>
    internal const int DefaultChunk = 1 << 24;

    private readonly EncodedText _text;
    private readonly Tensor? _symbols;                                      // (text length) uint8; null: wide symbols
    private readonly long _stride;                                          // symbols from one stream's start to the next's

    /// <param name="text">The split; read once here.</param>
    /// <param name="streams">B, the number of parallel streams (the batch size); at least 1.</param>
    /// <param name="chunk">Symbols written per step; tests make it small to cross chunk boundaries.</param>
    public TextStreams(EncodedText text, int streams, int chunk = DefaultChunk)
    {
        if (streams < 1) throw new ArgumentOutOfRangeException(nameof(streams), streams, "at least one stream");
        Streams = streams;
        StreamLength = TextBatches.StreamLength(text, streams);
        _stride = streams > 1 ? TextBatches.StreamStart(text, streams, 1) : 1;
        _text = text;
        if (text.HasWideSymbols) return;
        // Not the caller's dispose scope's: the tensor lives as long as this object.
        _symbols = empty(text.Length, ScalarType.Byte).DetachFromDisposeScope();
        // Straight into the tensor's memory (a CPU tensor's bytes are a span over it), a piece at a time.
        for (long start = 0; start < text.Length; start += chunk)
        {
            using var piece = _symbols.narrow(0, start, Math.Min(chunk, text.Length - start));
            text.CopyTo(start, piece.bytes);
        }
    }

    /// <summary>B, the number of streams.</summary>
    public int Streams { get; }

    /// <summary>Inputs each stream holds (<see cref="TextBatches.StreamLength"/>).</summary>
    public long StreamLength { get; }

    /// <summary>Steps [position, position + steps) of every stream: x, y (B, steps) int64 on <paramref name="device"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The steps reach past the streams' end.</exception>
    public (Tensor X, Tensor Y) At(long position, int steps, Device device)
    {
        if (position < 0 || steps < 1 || position + steps > StreamLength)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), $"steps [{position}, {position + steps}) are not within the streams' {StreamLength}");
        }
        if (_symbols is null) return TextBatches.FromStreams(_text, Streams, position, steps, device);
        using var inputs = _symbols.as_strided([Streams, steps], [_stride, 1], position);
        using var targets = _symbols.as_strided([Streams, steps], [_stride, 1], position + 1);
        return (inputs.to(ScalarType.Int64, device), targets.to(ScalarType.Int64, device));
    }

    /// <summary>Whether the batches are cut from a native copy (a byte-wide text), not read through a managed buffer.</summary>
    public bool IsNative => _symbols is not null;

    public void Dispose() => _symbols?.Dispose();
}
