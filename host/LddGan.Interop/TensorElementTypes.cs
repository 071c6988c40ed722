using static TorchSharp.torch;

namespace LddGan.Interop;

/// <summary>Element sizes and in-place byte work shared by the safetensors and torch readers.</summary>
internal static class TensorElementTypes
{
    public static int SizeOf(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unsupported element type"),
    };

    /// <summary>Product of the sizes, or null when it overflows a long (a hostile shape).</summary>
    public static long? ElementCount(IReadOnlyList<long> shape)
    {
        long count = 1;
        foreach (long size in shape)
        {
            if (size < 0) return null;
            try { count = checked(count * size); }
            catch (OverflowException) { return null; }
        }
        return count;
    }

    /// <summary>Bytes of <paramref name="count"/> elements, or null on overflow.</summary>
    public static long? ByteCount(long count, ScalarType type)
    {
        try { return checked(count * SizeOf(type)); }
        catch (OverflowException) { return null; }
    }

    /// <summary>
    /// Fills a new contiguous CPU tensor of <paramref name="shape"/> from exactly its byte size of <paramref name="source"/>
    /// (little-endian data). Bool data must be 0 or 1: libtorch assumes so, other bytes would be undefined behaviour.
    /// </summary>
    public static Tensor ReadTensor(Stream source, ScalarType type, long[] shape, bool bigEndian, Func<string, Exception> fail)
    {
        var tensor = empty(shape, type, device: CPU);
        try
        {
            long bytes = tensor.NumberOfElements * SizeOf(type);
            if (bytes == 0) return tensor;
            if (!BitConverter.IsLittleEndian)
                throw fail("this reader needs a little-endian machine");
            if (bigEndian || type == ScalarType.Bool)
            {
                if (bytes > Array.MaxLength) throw fail($"a {bytes}-byte tensor that needs conversion is too large for this reader");
                var buffer = new byte[bytes];
                source.ReadExactly(buffer);
                if (bigEndian) SwapBytes(buffer, SizeOf(type));
                if (type == ScalarType.Bool && buffer.AsSpan().IndexOfAnyExcept((byte)0, (byte)1) is >= 0 and var bad)
                    throw fail($"bool element {bad} holds the byte {buffer[bad]} (only 0 and 1 are valid)");
                tensor.bytes = buffer;
            }
            else
            {
                tensor.ReadBytesFromStream(source, 1 << 20);
            }
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    private static void SwapBytes(Span<byte> data, int elementSize)
    {
        if (elementSize == 1) return;
        for (int i = 0; i + elementSize <= data.Length; i += elementSize)
            data.Slice(i, elementSize).Reverse();
    }
}
