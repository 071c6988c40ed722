using System.IO.Compression;
using LddGan.Engine.Data;
using NUnit.Framework;

namespace LddGan.Tests.Data;

public sealed class IdxFileTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "lddgan-idx-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static byte[] Pixels(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 7 % 256)).ToArray();

    [TestCase(true)]
    [TestCase(false)]
    public void WrittenImagesFileReadsBack(bool gzip)
    {
        string path = Path.Combine(_dir, "images");
        var data = Pixels(3 * 4 * 5);
        IdxFile.Write(path, [3, 4, 5], data, gzip);
        var head = File.ReadAllBytes(path)[..2];
        Assert.That(head[0] == 0x1f && head[1] == 0x8b, Is.EqualTo(gzip));

        var file = IdxFile.ReadImages(path);
        Assert.That(file.Magic, Is.EqualTo(IdxFile.ImagesMagic));
        Assert.That(file.Dimensions, Is.EqualTo(new[] { 3, 4, 5 }));
        Assert.That(file.Data, Is.EqualTo(data));
    }

    [Test]
    public void HandWrittenLabelsFileIsParsed()
    {
        // 00 00 08 01 | 00 00 00 03 | 09 00 07 — big-endian header written byte by byte, independent of the writer.
        string path = Path.Combine(_dir, "labels");
        File.WriteAllBytes(path, [0, 0, 8, 1, 0, 0, 0, 3, 9, 0, 7]);
        var file = IdxFile.ReadLabels(path);
        Assert.That(file.Magic, Is.EqualTo(IdxFile.LabelsMagic));
        Assert.That(file.Dimensions, Is.EqualTo(new[] { 3 }));
        Assert.That(file.Data, Is.EqualTo(new byte[] { 9, 0, 7 }));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void TruncatedFileIsReportedWithItsDeclaredSize(bool gzip)
    {
        string full = Path.Combine(_dir, "full");
        IdxFile.Write(full, [10, 4, 4], Pixels(160), gzip: false);
        var bytes = File.ReadAllBytes(full)[..^20];
        string path = Path.Combine(_dir, "cut");
        if (gzip)
        {
            using var f = File.Create(path);
            using var z = new GZipStream(f, CompressionLevel.Fastest);
            z.Write(bytes);
        }
        else File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<IdxFormatException>(() => IdxFile.ReadImages(path))!;
        Assert.That(e.FilePath, Is.EqualTo(path));
        Assert.That(e.Message, Does.StartWith(path));
        Assert.That(e.Message, Does.Contain("truncated").And.Contain("10×4×4 = 160 bytes").And.Contain("only 140"));
        Assert.That(e.Message, Does.Contain("apt-get install --reinstall"));
    }

    [Test]
    public void CutGzipStreamIsAnError()
    {
        string path = Path.Combine(_dir, "cut.gz");
        IdxFile.Write(path, [50, 8, 8], Pixels(3200), gzip: true);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<IdxFormatException>(() => IdxFile.ReadImages(path))!;
        Assert.That(e.Message, Does.StartWith(path));
    }

    [Test]
    public void WrongMagicIsReported()
    {
        string path = Path.Combine(_dir, "png");
        File.WriteAllBytes(path, [0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 1, 0]);
        var e = Assert.Throws<IdxFormatException>(() => IdxFile.ReadImages(path))!;
        Assert.That(e.Message, Does.Contain("wrong magic number 0x89504E47").And.Contain("0x00000803"));
    }

    [Test]
    public void LabelsFileWhereImagesAreExpectedIsReported()
    {
        string path = Path.Combine(_dir, "labels");
        IdxFile.Write(path, [4], [1, 2, 3, 4], gzip: false);
        var e = Assert.Throws<IdxFormatException>(() => IdxFile.ReadImages(path))!;
        Assert.That(e.Message, Does.Contain("0x00000801").And.Contain("1 dimension"));
    }

    [Test]
    public void UnsupportedElementTypeAndExtraBytesAreReported()
    {
        string floats = Path.Combine(_dir, "floats");
        File.WriteAllBytes(floats, [0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
        Assert.That(Assert.Throws<IdxFormatException>(() => IdxFile.Read(floats))!.Message, Does.Contain("element type 0x0D"));

        string extra = Path.Combine(_dir, "extra");
        File.WriteAllBytes(extra, [0, 0, 8, 1, 0, 0, 0, 2, 5, 6, 7]);
        Assert.That(Assert.Throws<IdxFormatException>(() => IdxFile.Read(extra))!.Message, Does.Contain("1 unexpected bytes"));

        string header = Path.Combine(_dir, "header");
        File.WriteAllBytes(header, [0, 0, 8, 3, 0, 0, 0, 2]);
        Assert.That(Assert.Throws<IdxFormatException>(() => IdxFile.Read(header))!.Message, Does.Contain("truncated inside its header"));
    }

    [Test]
    public void MissingFileIsADatasetNotFoundError()
    {
        string path = Path.Combine(_dir, "nothing-here");
        var e = Assert.Throws<DatasetNotFoundException>(() => IdxFile.Read(path))!;
        Assert.That(e.FileName, Is.EqualTo(path));
        Assert.That(e, Is.InstanceOf<DatasetException>());
    }
}
