using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;
using LddGan.Engine.Runtime;
using Microsoft.Win32.SafeHandles;

namespace LddGan.Engine.Data.ImageFolder;

/// <summary>A prepared file that is not a complete image pack (truncated, overwritten, from another version).</summary>
public sealed class ImagePackDamagedException(string path, string reason) : Exception($"{path}: {reason}")
{
    public string PackPath => path;
    public string Reason => reason;
}

/// <summary>
/// A prepared image pack, memory-mapped for reading. Layout (little-endian): a 64-byte header (magic, version, channels,
/// resolution, count, and the offsets of the three parts), the pixels at 4,096 (count × C × H × W bytes, uint8, planar
/// per image), the labels (count × int32), and the JSON <see cref="ImagePackManifest"/> last. Written by
/// <see cref="ImagePackWriter"/> to a temporary file that is renamed into place only when complete.
/// </summary>
public sealed class ImagePackFile : IDisposable
{
    public const string Extension = ".imagepack";
    internal const long PixelOffset = 4096;
    internal const int HeaderBytes = 64;
    internal static ReadOnlySpan<byte> Magic => "LDDIMGPK"u8;
    internal const int FormatVersion = 1;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly int[] _labels;

    private ImagePackFile(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, ImagePackManifest manifest, int[] labels)
    {
        Path = path;
        _file = file;
        _view = view;
        Manifest = manifest;
        _labels = labels;
        ImageBytes = manifest.Channels * manifest.Resolution * manifest.Resolution;
    }

    public string Path { get; }
    public ImagePackManifest Manifest { get; }
    public long Count => Manifest.Count;
    public int ImageBytes { get; }

    /// <summary>Opens and checks the structure (not the pixel hash: that would read every byte); a damaged file throws <see cref="ImagePackDamagedException"/>.</summary>
    public static ImagePackFile Open(string path)
    {
        long length = new FileInfo(path).Length;
        if (length < PixelOffset) throw new ImagePackDamagedException(path, $"{length:N0} bytes is shorter than an image pack's header.");
        var header = new byte[HeaderBytes];
        using (var stream = File.OpenRead(path)) stream.ReadExactly(header);
        if (!header.AsSpan(0, 8).SequenceEqual(Magic)) throw new ImagePackDamagedException(path, "not an image pack (wrong magic bytes).");
        int version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        if (version != FormatVersion) throw new ImagePackDamagedException(path, $"image pack format {version}, this version reads {FormatVersion}.");
        int channels = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        int resolution = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(16));
        long count = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(24));
        long labelsOffset = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(40));
        long manifestOffset = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(48));
        long manifestLength = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(56));
        long imageBytes = (long)channels * resolution * resolution;
        if (channels is not (1 or 3) || resolution < 1 || count < 1
            || labelsOffset != PixelOffset + count * imageBytes || manifestOffset != labelsOffset + 4 * count
            || manifestLength < 2 || manifestOffset + manifestLength != length)
            throw new ImagePackDamagedException(path, $"its header does not match its length ({length:N0} bytes): the file is truncated or damaged.");

        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        try
        {
            var json = new byte[manifestLength];
            view.ReadArray(manifestOffset, json, 0, json.Length);
            ImagePackManifest manifest;
            try { manifest = ImagePackManifest.FromJson(json); }
            catch (JsonException e) { throw new ImagePackDamagedException(path, $"its manifest is not valid JSON ({e.Message})."); }
            if (manifest.Count != count || manifest.Channels != channels || manifest.Resolution != resolution)
                throw new ImagePackDamagedException(path, "its manifest disagrees with its header.");
            var labels = new int[count];
            view.ReadArray(labelsOffset, labels, 0, labels.Length);
            return new ImagePackFile(path, file, view, manifest, labels);
        }
        catch
        {
            view.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>Copies image <paramref name="index"/>'s C × H × W bytes to <paramref name="destination"/> at <paramref name="offset"/>.</summary>
    public void ReadImage(long index, byte[] destination, int offset) =>
        _view.ReadArray(PixelOffset + index * ImageBytes, destination, offset, ImageBytes);

    public int Label(long index) => _labels[index];

    public void Dispose()
    {
        _view.Dispose();
        _file.Dispose();
    }
}

/// <summary>
/// Writes an image pack: images go to their slots from any thread (positional writes), then <see cref="Complete"/>
/// closes the gaps of skipped slots, appends labels and manifest, writes the header, flushes to disk and renames the
/// temporary file over the destination. Until then the destination is untouched; a failed write deletes the temporary.
/// </summary>
public sealed class ImagePackWriter : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly string _temporary;
    private bool _done;

    public ImagePackWriter(string path, int channels, int resolution, long capacity)
    {
        Path = System.IO.Path.GetFullPath(path);
        Channels = channels;
        Resolution = resolution;
        ImageBytes = channels * resolution * resolution;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        TemporaryFiles.RemoveStale(Path);
        _temporary = TemporaryFiles.NameFor(Path);
        _handle = File.OpenHandle(_temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.None,
                                  preallocationSize: ImagePackFile.PixelOffset + capacity * ImageBytes);
    }

    public string Path { get; }
    public int Channels { get; }
    public int Resolution { get; }
    public int ImageBytes { get; }

    /// <summary>Stores an image in slot <paramref name="slot"/>; safe to call from several threads for different slots.</summary>
    public void WriteImage(long slot, ReadOnlySpan<byte> planes)
    {
        if (planes.Length != ImageBytes) throw new ArgumentException($"expected {ImageBytes} bytes, got {planes.Length}", nameof(planes));
        RandomAccess.Write(_handle, planes, ImagePackFile.PixelOffset + slot * ImageBytes);
    }

    /// <summary>
    /// Keeps the slots in <paramref name="keptSlots"/> (ascending), in that order, with their <paramref name="labels"/>;
    /// returns the SHA-256 of the kept pixels and labels, which <paramref name="manifest"/> receives as its content hash.
    /// </summary>
    public ImagePackManifest Complete(IReadOnlyList<long> keptSlots, IReadOnlyList<int> labels, ImagePackManifest manifest)
    {
        long count = keptSlots.Count;
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[ImageBytes];
        for (int i = 0; i < count; i++)
        {
            RandomAccess.Read(_handle, buffer, ImagePackFile.PixelOffset + keptSlots[i] * ImageBytes);
            if (keptSlots[i] != i) RandomAccess.Write(_handle, buffer, ImagePackFile.PixelOffset + (long)i * ImageBytes);
            hash.AppendData(buffer);
        }
        long labelsOffset = ImagePackFile.PixelOffset + count * ImageBytes;
        var labelBytes = new byte[4 * count];
        for (int i = 0; i < count; i++) BinaryPrimitives.WriteInt32LittleEndian(labelBytes.AsSpan(4 * i), labels[i]);
        hash.AppendData(labelBytes);
        var complete = manifest with
        {
            Count = count, Channels = Channels, Resolution = Resolution,
            ContentHash = "sha256:" + Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(),
        };
        var json = complete.ToJsonBytes();
        long manifestOffset = labelsOffset + labelBytes.Length;
        RandomAccess.Write(_handle, labelBytes, labelsOffset);
        RandomAccess.Write(_handle, json, manifestOffset);
        RandomAccess.SetLength(_handle, manifestOffset + json.Length);

        var header = new byte[ImagePackFile.HeaderBytes];
        ImagePackFile.Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), ImagePackFile.FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), Channels);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), Resolution);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), count);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(32), ImagePackFile.PixelOffset);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(40), labelsOffset);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(48), manifestOffset);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(56), json.Length);
        RandomAccess.Write(_handle, header, 0);
        RandomAccess.FlushToDisk(_handle);
        _handle.Dispose();
        File.Move(_temporary, Path, overwrite: true);
        _done = true;
        return complete;
    }

    public void Dispose()
    {
        _handle.Dispose();
        if (!_done)
            try { File.Delete(_temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
