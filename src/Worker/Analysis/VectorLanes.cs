using System.Numerics;
using System.Runtime.Intrinsics;

namespace RnnSweep.Worker.Analysis;

/// <summary>
/// The vector operations of <see cref="SingleSampleStep"/>'s products (and the bench's reads of the same weights), for
/// one vector type: generic code over it is compiled once per type, with each operation inlined.
/// </summary>
internal interface ILanes<TVector> where TVector : struct
{
    static abstract int Count { get; }
    static abstract TVector Broadcast(float value);
    static abstract TVector Load(ref float source, nuint offset);
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector addend);
    static abstract TVector Add(TVector a, TVector b);
    static abstract void Store(TVector value, Span<float> destination);
    static abstract float Element(TVector value, int index);
    static abstract float Sum(TVector value);
}

/// <summary>512-bit vectors (AVX-512).</summary>
internal readonly struct Lanes512 : ILanes<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    public static Vector512<float> Load(ref float source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> addend) => Vector512.MultiplyAddEstimate(a, b, addend);
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    public static void Store(Vector512<float> value, Span<float> destination) => value.CopyTo(destination);
    public static float Element(Vector512<float> value, int index) => value[index];
    public static float Sum(Vector512<float> value) => Vector512.Sum(value);
}

/// <summary>The machine's <see cref="Vector{T}"/> (256-bit with AVX2, 128-bit on ARM).</summary>
internal readonly struct LanesOfVector : ILanes<Vector<float>>
{
    public static int Count => Vector<float>.Count;
    public static Vector<float> Broadcast(float value) => new(value);
    public static Vector<float> Load(ref float source, nuint offset) => Vector.LoadUnsafe(ref source, offset);
    public static Vector<float> MultiplyAdd(Vector<float> a, Vector<float> b, Vector<float> addend) => Vector.MultiplyAddEstimate(a, b, addend);
    public static Vector<float> Add(Vector<float> a, Vector<float> b) => a + b;
    public static void Store(Vector<float> value, Span<float> destination) => value.CopyTo(destination);
    public static float Element(Vector<float> value, int index) => value[index];
    public static float Sum(Vector<float> value) => Vector.Sum(value);
}
