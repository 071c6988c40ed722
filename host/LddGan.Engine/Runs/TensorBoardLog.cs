using System.Buffers.Binary;
using System.Diagnostics;
using Google.Protobuf;
using Tensorboard;

namespace LddGan.Engine.Runs;

/// <summary>
/// A TensorBoard event file (<c>events.out.tfevents.*</c>) in the run directory: scalars and PNG images, written with
/// TorchSharp's TensorBoard protobuf types in the TFRecord framing TensorBoard reads (length, masked CRC-32C of the
/// length, the event, masked CRC-32C of the event). Our own writer rather than TorchSharp's <c>SummaryWriter</c>:
/// that one stores wall time as a float (two-minute resolution today) and reopens the file for every event.
/// Each process writes its own file; TensorBoard merges the files of one folder.
/// </summary>
public sealed class TensorBoardLog : IDisposable
{
    private readonly FileStream _file;

    public TensorBoardLog(string runDirectory)
    {
        Directory.CreateDirectory(runDirectory);
        long seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Path = System.IO.Path.Combine(runDirectory, $"events.out.tfevents.{seconds}.{Environment.MachineName}.{Environment.ProcessId}.lddgan");
        _file = new FileStream(Path, FileMode.Create, FileAccess.Write, FileShare.Read);
        Write(new Event { WallTime = WallTime(), FileVersion = "brain.Event:2" });
    }

    /// <summary>The event file.</summary>
    public string Path { get; }

    public void Scalar(string tag, double value, long step)
    {
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value { Tag = tag, SimpleValue = (float)value });
        Write(new Event { WallTime = WallTime(), Step = step, Summary = summary });
    }

    /// <summary>A PNG file as an image summary (TensorBoard's IMAGES tab).</summary>
    public void Image(string tag, string pngPath, long step)
    {
        byte[] png = File.ReadAllBytes(pngPath);
        // The PNG header's IHDR chunk: width and height, big-endian, at bytes 16 and 20.
        if (png.Length < 24) throw new InvalidDataException($"{pngPath}: not a PNG file");
        var image = new Summary.Types.Image
        {
            Width = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)),
            Height = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)),
            Colorspace = 3,
            EncodedImageString = ByteString.CopyFrom(png),
        };
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value { Tag = tag, Image = image });
        Write(new Event { WallTime = WallTime(), Step = step, Summary = summary });
    }

    private static double WallTime() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private void Write(Event e)
    {
        byte[] data = e.ToByteArray();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)data.Length);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, MaskedCrc(length.ToArray()));
        _file.Write(length);
        _file.Write(crc);
        _file.Write(data);
        BinaryPrimitives.WriteUInt32LittleEndian(crc, MaskedCrc(data));
        _file.Write(crc);
        _file.Flush();
    }

    /// <summary>TFRecord's masked CRC-32C: rotated right by 15 bits plus a constant.</summary>
    internal static uint MaskedCrc(byte[] data)
    {
        uint value = TorchSharp.Utils.CRC32C.process(data);
        return ((value >> 15) | (value << 17)) + 0xa282ead8U;
    }

    /// <summary>Reads an event file back (tests, and anyone checking a run without TensorBoard); CRCs are verified.</summary>
    public static IReadOnlyList<Event> Read(string path)
    {
        var events = new List<Event>();
        byte[] bytes = File.ReadAllBytes(path);
        int at = 0;
        while (at < bytes.Length)
        {
            if (bytes.Length - at < 12) throw new InvalidDataException($"{path}: truncated record at byte {at}");
            var lengthBytes = bytes.AsSpan(at, 8).ToArray();
            long length = (long)BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8, 4)) != MaskedCrc(lengthBytes) || length > bytes.Length - at - 16)
                throw new InvalidDataException($"{path}: damaged record header at byte {at}");
            var data = bytes.AsSpan(at + 12, (int)length).ToArray();
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + (int)length, 4)) != MaskedCrc(data))
                throw new InvalidDataException($"{path}: damaged record at byte {at}");
            events.Add(Event.Parser.ParseFrom(data));
            at += 16 + (int)length;
        }
        Debug.Assert(at == bytes.Length);
        return events;
    }

    public void Dispose() => _file.Dispose();
}
