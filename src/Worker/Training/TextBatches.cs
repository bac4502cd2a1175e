using RnnSweep.Shared.Domain;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Training;

/// <summary>
/// Batches built on the fly from the encoded corpus, so memory grows with the corpus only (one byte per
/// symbol) and never with a one-hot copy of it. Inputs x and targets y are (B, T) int64, y = x shifted by one.
/// </summary>
internal static class TextBatches
{
    /// <summary>
    /// Length of each of <paramref name="streams"/> parallel contiguous streams (char-rnn's layout): stream b
    /// reads inputs [b L, (b + 1) L) and needs one more symbol for its last target; a tail shorter than
    /// <paramref name="streams"/> symbols is left out. A text made of one segment per stream
    /// (<see cref="EncodedText.Segments"/>) is read segment by segment, each holding its own last target.
    /// </summary>
    public static long StreamLength(EncodedText text, int streams) =>
        IsSegmented(text, streams) ? text.Length / streams - 1 : (text.Length - 1) / streams;

    /// <summary>Where stream <paramref name="stream"/>'s first input symbol sits in <paramref name="text"/>.</summary>
    public static long StreamStart(EncodedText text, int streams, int stream) =>
        stream * (IsSegmented(text, streams) ? text.Length / streams : StreamLength(text, streams));

    private static bool IsSegmented(EncodedText text, int streams) => text.Segments > 1 && text.Segments == streams;

    /// <summary>Steps [position, position + steps) of every stream: x, y (B, steps).</summary>
    public static (Tensor X, Tensor Y) FromStreams(EncodedText text, int streams, long position, int steps, Device device)
    {
        var starts = new long[streams];
        for (var b = 0; b < streams; b++) starts[b] = StreamStart(text, streams, b) + position;
        return FromStarts(text, starts, steps, device);
    }

    /// <summary>Windows of <paramref name="steps"/> inputs starting at the given offsets: x, y (B, steps).</summary>
    public static (Tensor X, Tensor Y) FromStarts(EncodedText text, long[] starts, int steps, Device device)
    {
        var width = steps + 1;
        var buffer = new long[starts.Length * width];
        for (var b = 0; b < starts.Length; b++) text.CopyTo(starts[b], buffer.AsSpan(b * width, width));
        using var both = tensor(buffer, [starts.Length, width]);           // (B, T + 1)
        var x = both[.., ..^1].to(device).contiguous();                     // (B, T)
        var y = both[.., 1..].to(device).contiguous();                      // (B, T)
        return (x, y);
    }
}
