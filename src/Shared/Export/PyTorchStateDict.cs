using System.IO.Compression;
using System.Text;

namespace RnnSweep.Shared.Export;

/// <summary>
/// Writes a state dict as PyTorch's own <c>torch.save</c> file (the zip format of PyTorch 1.6 and later), so stock
/// PyTorch loads it with <c>torch.load(path)</c> (1.13, Debian 12's, included; no pickled code, so also with
/// <c>weights_only=True</c>). Layout: <c>archive/data.pkl</c>, a protocol-2 pickle of an <c>OrderedDict</c> whose values are
/// <c>torch._utils._rebuild_tensor_v2</c> calls on persistent storage ids; <c>archive/data/K</c>, each tensor's bytes;
/// <c>archive/version</c>. Source: torch/serialization.py (_save, _load) in PyTorch 1.13.
/// </summary>
public static class PyTorchStateDict
{
    /// <summary>Bytes per element of a ScalarType code.</summary>
    public static int ElementSize(int dtype) => dtype switch
    {
        0 or 1 or 11 => 1, 2 or 5 or 15 => 2, 3 or 6 => 4, 4 or 7 => 8,
        _ => throw new InvalidDataException($"unsupported tensor element type {dtype}"),
    };

    /// <summary>PyTorch's legacy storage class for a ScalarType code, as the pickle names it.</summary>
    private static string StorageClass(int dtype) => dtype switch
    {
        0 => "ByteStorage", 1 => "CharStorage", 2 => "ShortStorage", 3 => "IntStorage", 4 => "LongStorage",
        5 => "HalfStorage", 6 => "FloatStorage", 7 => "DoubleStorage", 11 => "BoolStorage", 15 => "BFloat16Storage",
        _ => throw new InvalidDataException($"unsupported tensor element type {dtype}"),
    };

    public static void Write(Stream output, IReadOnlyList<StateDictTensor> tensors)
    {
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        // why stored, not deflated: PyTorch reads records in place; it is what torch.save writes.
        void Entry(string name, byte[] content)
        {
            var entry = zip.CreateEntry($"archive/{name}", CompressionLevel.NoCompression);
            entry.LastWriteTime = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero); // the same checkpoint, the same bytes
            using var stream = entry.Open();
            stream.Write(content);
        }
        Entry("data.pkl", Pickle(tensors));
        Entry("byteorder", "little"u8.ToArray());
        for (var i = 0; i < tensors.Count; i++) Entry($"data/{i}", tensors[i].Data);
        Entry("version", "3\n"u8.ToArray());
    }

    /// <summary>The pickle of <c>OrderedDict([(name, tensor), ...])</c>; storage i is record <c>data/i</c>.</summary>
    private static byte[] Pickle(IReadOnlyList<StateDictTensor> tensors)
    {
        var p = new PickleWriter();
        p.Proto();
        p.Global("collections", "OrderedDict");
        p.Op(EmptyTuple);
        p.Op(Reduce);
        for (var i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            p.Unicode(t.Name);
            p.Global("torch._utils", "_rebuild_tensor_v2");
            p.Op(Mark);
            // The storage, as a persistent id: ('storage', torch.FloatStorage, key, location, number of elements).
            p.Op(Mark);
            p.Unicode("storage");
            p.Global("torch", StorageClass(t.DType));
            p.Unicode(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            p.Unicode("cpu");
            p.Int(t.Elements);
            p.Op(Tuple);
            p.Op(BinPersId);
            p.Int(0); // storage offset
            p.IntTuple(t.Shape);
            p.IntTuple(Strides(t.Shape));
            p.Op(NewFalse); // requires_grad
            p.Global("collections", "OrderedDict"); // backward hooks: none
            p.Op(EmptyTuple);
            p.Op(Reduce);
            p.Op(Tuple);
            p.Op(Reduce);
            p.Op(SetItem);
        }
        p.Op(Stop);
        return p.ToArray();
    }

    private static long[] Strides(long[] shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d];
        }
        return strides;
    }

    // Pickle opcodes (Python's Lib/pickletools.py).
    private const byte Mark = (byte)'(', Stop = (byte)'.', Reduce = (byte)'R', Tuple = (byte)'t', EmptyTuple = (byte)')',
        SetItem = (byte)'s', BinPersId = (byte)'Q', NewFalse = 0x89;

    private sealed class PickleWriter
    {
        private readonly MemoryStream _out = new();

        public void Proto() => _out.Write([0x80, 2]);
        public void Op(byte op) => _out.WriteByte(op);

        public void Global(string module, string name) => _out.Write(Encoding.ASCII.GetBytes($"c{module}\n{name}\n"));

        public void Unicode(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            _out.WriteByte((byte)'X'); // BINUNICODE: 4-byte little-endian length, UTF-8
            _out.Write(BitConverter.GetBytes(bytes.Length));
            _out.Write(bytes);
        }

        public void Int(long value)
        {
            if (value is >= int.MinValue and <= int.MaxValue)
            {
                _out.WriteByte((byte)'J'); // BININT: 4-byte little-endian signed
                _out.Write(BitConverter.GetBytes((int)value));
                return;
            }
            _out.WriteByte(0x8a); // LONG1: 8 bytes, little-endian two's complement
            _out.WriteByte(8);
            _out.Write(BitConverter.GetBytes(value));
        }

        public void IntTuple(long[] values)
        {
            _out.WriteByte(Mark);
            foreach (var v in values) Int(v);
            _out.WriteByte(Tuple);
        }

        public byte[] ToArray() => _out.ToArray();
    }
}
