namespace RnnSweep.Shared.Export;

/// <summary>
/// One entry of a model's state dict: its name (e.g. <c>lstm.weight_ih_l0</c>), element type, shape and raw
/// little-endian data in row-major (contiguous) order.
/// </summary>
/// <param name="DType">TorchSharp's (and libtorch's) ScalarType code: 6 float32, 7 float64, 5 float16, 15 bfloat16, 4 int64.</param>
public sealed record StateDictTensor(string Name, int DType, long[] Shape, byte[] Data)
{
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
}
