using System.Text;

namespace RnnSweep.Shared.Export;

/// <summary>
/// Reads the bytes of TorchSharp's <c>Module.save</c> (what the checkpoints table holds) without TorchSharp, so the
/// Orchestrator can export a model. The format: LEB128 entry count, then per entry a LEB128-length-prefixed UTF-8
/// name, LEB128 ScalarType code, LEB128 rank, LEB128 sizes and the raw data.
/// Source: TorchSharp's own save/load article and its Python exporter (exportsd.py), in the TorchSharp repository.
/// </summary>
public static class TorchSharpStateDict
{
    /// <exception cref="InvalidDataException">The bytes are not a state dict in that format (truncated, unknown type).</exception>
    public static IReadOnlyList<StateDictTensor> Read(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        try
        {
            var count = ReadLeb128(reader);
            var entries = new List<StateDictTensor>((int)Math.Min(count, 10_000));
            for (long i = 0; i < count; i++)
            {
                var name = Encoding.UTF8.GetString(reader.ReadBytes(checked((int)ReadLeb128(reader))));
                var dtype = (int)ReadLeb128(reader);
                var rank = (int)ReadLeb128(reader);
                var shape = new long[rank];
                for (var d = 0; d < rank; d++) shape[d] = ReadLeb128(reader);
                var length = checked(shape.Aggregate(1L, (a, b) => a * b) * PyTorchStateDict.ElementSize(dtype));
                var data = reader.ReadBytes(checked((int)length));
                if (data.Length != length) throw new InvalidDataException($"the state dict ends inside tensor '{name}'");
                entries.Add(new StateDictTensor(name, dtype, shape, data));
            }
            if (reader.BaseStream.Position != bytes.Length) throw new InvalidDataException("bytes left after the last tensor of the state dict");
            return entries;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("the state dict is truncated");
        }
    }

    private static long ReadLeb128(BinaryReader reader)
    {
        long value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = reader.ReadByte();
            value |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new InvalidDataException("a LEB128 number in the state dict is too long");
    }
}
