using System.Buffers.Binary;
using System.IO.Compression;

namespace LddGan.Engine.Data;

/// <summary>
/// An IDX file of unsigned bytes (the MNIST family's format): a big-endian magic 0x0000 08 NN (element type 0x08 = uint8,
/// NN = number of dimensions), NN big-endian int32 sizes, then the data in row-major order.
/// Images are 0x00000803 (N×R×C), labels 0x00000801 (N). Files may be gzip-compressed (detected by the bytes 1f 8b).
/// </summary>
public sealed class IdxFile
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;
    private const byte UnsignedByteType = 0x08;
    private const int MaxDimensions = 4;

    private IdxFile(string source, int[] dimensions, byte[] data)
    {
        Source = source;
        Dimensions = dimensions;
        Data = data;
    }

    /// <summary>Where the file was read from (for messages).</summary>
    public string Source { get; }

    /// <summary>The declared sizes, outermost first (e.g. [60000, 28, 28]).</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>The elements, row-major; length = product of <see cref="Dimensions"/>.</summary>
    public byte[] Data { get; }

    public int Magic => (UnsignedByteType << 8) | Dimensions.Count;

    /// <summary>Reads an images file (magic 0x00000803, N×R×C).</summary>
    public static IdxFile ReadImages(string path) => Read(path, expectedDimensions: 3);

    /// <summary>Reads a labels file (magic 0x00000801, N).</summary>
    public static IdxFile ReadLabels(string path) => Read(path, expectedDimensions: 1);

    /// <summary>Reads and validates an IDX file of unsigned bytes, gzip-compressed or raw.</summary>
    public static IdxFile Read(string path, int? expectedDimensions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new DatasetNotFoundException($"{path}: no such IDX file.", path);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IdxFormatException(path, $"cannot be read ({e.Message})", e);
        }
        return Parse(bytes, path, expectedDimensions);
    }

    /// <summary>Parses the bytes of an IDX file (gzip-compressed or raw); <paramref name="source"/> names it in errors.</summary>
    public static IdxFile Parse(byte[] bytes, string source, int? expectedDimensions = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (IsGzip(bytes)) bytes = Decompress(bytes, source);

        if (bytes.Length < 4)
            throw new IdxFormatException(source, $"is {bytes.Length} bytes long, too short for an IDX header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        string expected = expectedDimensions switch
        {
            3 => $"0x{ImagesMagic:X8} (images)",
            1 => $"0x{LabelsMagic:X8} (labels)",
            null => $"0x{ImagesMagic:X8} (images) or 0x{LabelsMagic:X8} (labels)",
            int n => $"0x{(UnsignedByteType << 8) | n:X8}",
        };
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new IdxFormatException(source, $"wrong magic number 0x{magic:X8}, expected {expected}: this is not an IDX file");
        if (bytes[2] != UnsignedByteType)
            throw new IdxFormatException(source,
                $"magic number 0x{magic:X8} declares element type 0x{bytes[2]:X2}; only unsigned bytes (0x08) are supported, expected {expected}");
        int rank = bytes[3];
        if (rank < 1 || rank > MaxDimensions)
            throw new IdxFormatException(source, $"magic number 0x{magic:X8} declares {rank} dimensions; expected {expected}");
        if (expectedDimensions is int want && rank != want)
            throw new IdxFormatException(source, $"magic number 0x{magic:X8} declares {rank} dimension(s), expected {expected} with {want}");

        int headerLength = 4 + 4 * rank;
        if (bytes.Length < headerLength)
            throw new IdxFormatException(source, $"is truncated inside its header: {rank} sizes need {headerLength} bytes, the file has {bytes.Length}");
        var dims = new int[rank];
        long elements = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] <= 0)
                throw new IdxFormatException(source, $"dimension {i} is declared as {dims[i]}; sizes must be positive");
            elements *= dims[i];
            if (elements > Array.MaxLength)
                throw new IdxFormatException(source, $"declares {string.Join("×", dims[..(i + 1)])} elements, more than can be held in memory");
        }

        long available = bytes.Length - headerLength;
        string declared = $"{string.Join("×", dims)} = {elements} bytes of data";
        if (available < elements)
            throw new IdxFormatException(source, $"is truncated: the header declares {declared} but only {available} follow");
        if (available > elements)
            throw new IdxFormatException(source, $"has {available - elements} unexpected bytes after the {declared} its header declares");

        return new IdxFile(source, dims, bytes.AsSpan(headerLength).ToArray());
    }

    /// <summary>Writes an IDX file of unsigned bytes (used to build test fixtures and small derived sets).</summary>
    public static void Write(string path, ReadOnlySpan<int> dimensions, ReadOnlySpan<byte> data, bool gzip)
    {
        if (dimensions.Length < 1 || dimensions.Length > MaxDimensions)
            throw new ArgumentException($"an IDX file has 1 to {MaxDimensions} dimensions, not {dimensions.Length}.", nameof(dimensions));
        long elements = 1;
        foreach (int d in dimensions)
        {
            if (d <= 0) throw new ArgumentException("IDX sizes must be positive.", nameof(dimensions));
            elements *= d;
        }
        if (elements != data.Length)
            throw new ArgumentException($"the sizes declare {elements} elements but {data.Length} were given.", nameof(data));

        var header = new byte[4 + 4 * dimensions.Length];
        BinaryPrimitives.WriteInt32BigEndian(header, (UnsignedByteType << 8) | dimensions.Length);
        for (int i = 0; i < dimensions.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dimensions[i]);

        using var file = File.Create(path);
        using Stream output = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        output.Write(header);
        output.Write(data);
    }

    private static bool IsGzip(byte[] bytes) => bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;

    private static byte[] Decompress(byte[] compressed, string source)
    {
        try
        {
            using var input = new MemoryStream(compressed, writable: false);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream(compressed.Length * 2);
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new IdxFormatException(source, $"is a damaged gzip file ({e.Message})", e);
        }
    }
}
