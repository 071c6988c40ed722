using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace LddGan.Interop;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}</c>), then the raw
/// little-endian tensor data, offsets relative to the end of the header. Every problem with a file is an
/// <see cref="InteropFormatException"/> whose message names the file.
/// </summary>
public static class SafetensorsFile
{
    /// <summary>Headers above this size are refused as absurd (the reference implementation uses the same 100 MB bound).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>
    /// Writes <paramref name="tensors"/> (any device, any layout: contiguous CPU copies are written) sorted by name,
    /// with optional string metadata, through a temporary file renamed into place. The header is padded with spaces
    /// to a multiple of 8 bytes so the data section starts aligned, as the reference writer does.
    /// </summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var sorted = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var infos = new List<SafetensorsTensorInfo>(sorted.Count);
        long offset = 0;
        for (int i = 0; i < sorted.Count; i++)
        {
            var (name, tensor) = sorted[i];
            if (string.IsNullOrEmpty(name) || name == MetadataKey)
                throw new InteropFormatException($"{path}: '{name}' cannot be a tensor name in a safetensors file.");
            if (i > 0 && sorted[i - 1].Name == name)
                throw new InteropFormatException($"{path}: the tensor name '{name}' is given twice.");
            string dtype = SafetensorsDTypes.NameOf(tensor.dtype)
                ?? throw new InteropFormatException($"{path}: tensor '{name}' has element type {tensor.dtype}, which safetensors (as supported here: {string.Join(", ", SafetensorsDTypes.Names)}) cannot hold.");
            long bytes = tensor.NumberOfElements * TensorElementTypes.SizeOf(tensor.dtype);
            infos.Add(new SafetensorsTensorInfo(name, dtype, tensor.dtype, tensor.shape, offset, offset + bytes));
            offset += bytes;
        }

        byte[] header = HeaderBytes(infos, metadata);
        WriteAtomically(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var (_, tensor) in sorted)
            {
                if (tensor.NumberOfElements == 0) continue;
                using var cpu = tensor.detach().cpu();
                using var contiguous = cpu.contiguous();
                contiguous.WriteBytesToStream(stream, 1 << 20);
            }
        });
    }

    /// <summary>Reads every tensor (as contiguous CPU tensors) and the metadata of a safetensors file.</summary>
    public static SafetensorsContent Read(string path)
    {
        using var stream = OpenRead(path);
        var header = ReadHeader(path, stream);
        var tensors = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in header.Tensors)
            {
                stream.Position = header.DataStart + info.Begin;
                try
                {
                    tensors.Add(info.Name, TensorElementTypes.ReadTensor(stream, info.DType, [.. info.Shape], bigEndian: false,
                        problem => new InteropFormatException($"{path}: tensor '{info.Name}': {problem}.")));
                }
                catch (EndOfStreamException e)
                {
                    throw new InteropFormatException($"{path}: tensor '{info.Name}' is cut short: the file ended while reading its data (truncated file?).", e);
                }
            }
            return new SafetensorsContent(tensors, header.Metadata);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>Reads and validates only the header (names, dtypes, shapes, offsets, metadata); no tensor data is read.</summary>
    public static SafetensorsHeader ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(path, stream);
    }

    private static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new InteropFormatException($"{path}: file not found.");
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    private static SafetensorsHeader ReadHeader(string path, FileStream stream)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw new InteropFormatException($"{path}: not a safetensors file: {fileLength} bytes is shorter than the 8-byte header length.");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes)
            throw new InteropFormatException($"{path}: the header length {headerLength} is absurd (more than {MaxHeaderBytes} bytes); the file is damaged or not safetensors.");
        if ((long)headerLength > fileLength - 8)
            throw new InteropFormatException($"{path}: the header length {headerLength} is larger than the file ({fileLength} bytes); the file is truncated or not safetensors.");
        var json = new byte[headerLength];
        stream.ReadExactly(json);
        long dataStart = 8 + (long)headerLength;
        return ParseHeader(path, json, dataStart, fileLength - dataStart);
    }

    private static SafetensorsHeader ParseHeader(string path, byte[] json, long dataStart, long dataLength)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException e) { throw new InteropFormatException($"{path}: the header is not valid JSON ({e.Message}).", e); }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InteropFormatException($"{path}: the header must be a JSON object, not {document.RootElement.ValueKind}.");
            var tensors = new List<SafetensorsTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw new InteropFormatException($"{path}: the header names '{property.Name}' twice (duplicate name).");
                if (property.Name == MetadataKey)
                    ReadMetadata(path, property.Value, metadata);
                else
                    tensors.Add(ReadEntry(path, property.Name, property.Value, dataLength));
            }
            CheckNoOverlap(path, tensors);
            return new SafetensorsHeader(tensors, metadata, dataStart, dataLength);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new InteropFormatException($"{path}: '{MetadataKey}' must be an object of strings.");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new InteropFormatException($"{path}: metadata '{item.Name}' must be a string, not {item.Value.ValueKind}.");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new InteropFormatException($"{path}: metadata names '{item.Name}' twice (duplicate name).");
        }
    }

    private static SafetensorsTensorInfo ReadEntry(string path, string name, JsonElement entry, long dataLength)
    {
        string where = $"{path}: tensor '{name}'";
        if (entry.ValueKind != JsonValueKind.Object)
            throw new InteropFormatException($"{where}: the entry must be an object with dtype, shape and data_offsets.");
        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new InteropFormatException($"{where}: 'dtype' is missing or not a string.");
        string dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype))
            throw new InteropFormatException($"{where}: unknown dtype '{dtypeName}' (supported: {string.Join(", ", SafetensorsDTypes.Names)}).");
        long[] shape = ReadIntegers(where, entry, "shape", count: null);
        long[] offsets = ReadIntegers(where, entry, "data_offsets", count: 2);
        var (begin, end) = (offsets[0], offsets[1]);
        if (begin > end)
            throw new InteropFormatException($"{where}: data_offsets [{begin}, {end}] run backwards.");
        if (end > dataLength)
            throw new InteropFormatException($"{where}: data_offsets [{begin}, {end}] are out of range: the data section holds only {dataLength} bytes (truncated file?).");
        long? elements = TensorElementTypes.ElementCount(shape);
        long? bytes = elements is { } n ? TensorElementTypes.ByteCount(n, dtype) : null;
        if (bytes != end - begin)
            throw new InteropFormatException(
                $"{where}: data_offsets [{begin}, {end}] span {end - begin} bytes, but shape [{string.Join(", ", shape)}] of {dtypeName} needs {(bytes is { } b ? b.ToString() : "more than 2^63")} bytes.");
        return new SafetensorsTensorInfo(name, dtypeName, dtype, shape, begin, end);
    }

    private static long[] ReadIntegers(string where, JsonElement entry, string key, int? count)
    {
        if (!entry.TryGetProperty(key, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new InteropFormatException($"{where}: '{key}' is missing or not an array.");
        if (count is { } expected && array.GetArrayLength() != expected)
            throw new InteropFormatException($"{where}: '{key}' must hold {expected} numbers, not {array.GetArrayLength()}.");
        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long value) || value < 0)
                throw new InteropFormatException($"{where}: '{key}' must hold non-negative integers; found {item.GetRawText()}.");
            values[i++] = value;
        }
        return values;
    }

    /// <summary>Tensors may leave gaps (ignored bytes) but never share bytes.</summary>
    private static void CheckNoOverlap(string path, List<SafetensorsTensorInfo> tensors)
    {
        var byBegin = tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.Begin).ToList();
        for (int i = 1; i < byBegin.Count; i++)
        {
            var (previous, current) = (byBegin[i - 1], byBegin[i]);
            if (current.Begin < previous.End)
                throw new InteropFormatException(
                    $"{path}: tensors '{previous.Name}' [{previous.Begin}, {previous.End}] and '{current.Name}' [{current.Begin}, {current.End}] overlap.");
        }
    }

    private static byte[] HeaderBytes(List<SafetensorsTensorInfo> infos, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            foreach (var info in infos)
            {
                json.WriteStartObject(info.Name);
                json.WriteString("dtype", info.DTypeName);
                json.WriteStartArray("shape");
                foreach (long size in info.Shape) json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(info.Begin);
                json.WriteNumberValue(info.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padding = (int)((8 - buffer.Length % 8) % 8);
        buffer.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
        return buffer.ToArray();
    }

    private static void WriteAtomically(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = $"{full}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
