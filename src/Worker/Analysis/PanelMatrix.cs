using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// A matrix W (rows, cols) in the layout <see cref="SingleSampleStep"/>'s products read: panels of P = <see cref="Width"/>
/// rows (the width of the vectors the product uses), the last padded with zero rows. Panel b holds, for each column k
/// in order, W[b P .. b P + P - 1, k]: P consecutive floats, so one vector load gives one column's entries for P
/// outputs, and a panel is read front to back once per product.
/// The floats start on a 64-byte boundary of a pinned array, so no vector load ever spans two cache lines. Why: with
/// 512-bit vectors on an AMD Zen 5, the product over unaligned panels ran at 0.87 of the same product over aligned ones
/// (docs/benchmarks.md, the section of 2026-12-01 16:16).
/// </summary>
internal sealed class PanelMatrix
{
    private const int Alignment = 64;                   // bytes: a cache line, and one 512-bit vector
    private readonly float[] _array;
    private readonly int _offset;

    /// <summary>
    /// The panel width products are fastest with here: 16 where 512-bit vectors are accelerated (AVX-512), otherwise
    /// <see cref="Vector{T}"/>'s count (8 with AVX2, 4 on ARM).
    /// </summary>
    public static int PreferredWidth => Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector<float>.Count;

    /// <summary>Panels of <paramref name="width"/> rows that <paramref name="rows"/> outputs take, the last padded.</summary>
    public static int Panels(int rows, int width) => (rows + width - 1) / width;

    /// <summary>Floats a (rows, cols) matrix takes in panels of <paramref name="width"/>, padding included.</summary>
    public static int Length(int rows, int cols, int width) => Panels(rows, width) * cols * width;

    /// <param name="panels">The matrix already in panels: <see cref="Length"/>(rows, cols, width) floats.</param>
    /// <param name="width">Rows per panel: <see cref="PreferredWidth"/>, or <see cref="Vector{T}"/>'s count.</param>
    public PanelMatrix(ReadOnlySpan<float> panels, int rows, int cols, int width)
    {
        if (width != PreferredWidth && width != Vector<float>.Count) throw new ArgumentOutOfRangeException(nameof(width), width, $"panels are {PreferredWidth} or {Vector<float>.Count} rows wide on this processor");
        if (panels.Length != Length(rows, cols, width)) throw new ArgumentException($"{panels.Length} floats are not {rows} x {cols} in panels of {width}", nameof(panels));
        (Rows, Cols, Width) = (rows, cols, width);
        _array = GC.AllocateUninitializedArray<float>(panels.Length + Alignment / sizeof(float), pinned: true);
        // The array is on the pinned heap and never moves: its address, read once, stays true.
        var address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0);
        _offset = (int)((Alignment - address % Alignment) % Alignment) / sizeof(float);
        panels.CopyTo(_array.AsSpan(_offset, panels.Length));
    }

    public int Rows { get; }
    public int Cols { get; }
    public int Width { get; }

    /// <summary>Whether the panels are read with 512-bit vectors (<see cref="Lanes512"/>); otherwise with <see cref="Vector{T}"/>.</summary>
    public bool IsWide => Width == Vector512<float>.Count && Vector512.IsHardwareAccelerated;

    /// <summary>The panels, 64-byte aligned.</summary>
    public ReadOnlySpan<float> Floats => _array.AsSpan(_offset, Length(Rows, Cols, Width));

    /// <summary>The first float, 64-byte aligned.</summary>
    public ref float Start => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_array), _offset);
}
