using LddGan.Interop;
using NUnit.Framework;
using static LddGan.Tests.Interop.InteropTestFiles;
using static TorchSharp.torch;

namespace LddGan.Tests.Interop;

/// <summary>Files that would run code, exhaust memory or the stack, or point outside their data: each is refused cleanly.</summary>
[NonParallelizable] // sets an environment variable for the code-running payloads
public sealed class HostileCheckpointTests
{
    private string _directory = "";

    [SetUp]
    public void CreateDirectory() => _directory = NewTempDirectory();

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [TestCase("hostile_os_system.pt", "posix.system")]
    [TestCase("hostile_eval.pt", "builtins.eval")]
    public void CodeRunningPicklesAreRefusedAndNothingRuns(string fixture, string global)
    {
        // Under torch.load these payloads run `touch "$LDDGAN_INTEROP_MARKER"` (checked by make_interop_fixtures.py).
        string marker = Path.Combine(_directory, "marker");
        string? previous = Environment.GetEnvironmentVariable("LDDGAN_INTEROP_MARKER");
        Environment.SetEnvironmentVariable("LDDGAN_INTEROP_MARKER", marker);
        try
        {
            string path = Fixture(fixture);
            var e = Assert.Throws<UnsafePickleException>(() => TorchCheckpointReader.Read(path).Dispose());
            Assert.Multiple(() =>
            {
                Assert.That(e!.GlobalName, Is.EqualTo(global));
                Assert.That(e.Message, Does.StartWith(path).And.Contain(global).And.Contain("refuse to run code"));
                Assert.That(File.Exists(marker), Is.False, "the payload must not have run");
            });
        }
        finally
        {
            Environment.SetEnvironmentVariable("LDDGAN_INTEROP_MARKER", previous);
        }
    }

    [Test]
    public void StackGlobalOutsideTheAllowListIsRefused()
    {
        var pickle = new PickleBytesBuilder().Op(0x8c).Raw(10).Raw("subprocess"u8.ToArray()).Op(0x8c).Raw(5).Raw("Popen"u8.ToArray())
            .Op(0x93).Str("id").Op(0x85).Op('R').Stop();
        string path = WriteTorchZip(_directory, "popen", pickle);
        Assert.That(() => TorchCheckpointReader.Read(path),
            Throws.TypeOf<UnsafePickleException>().With.Message.Contains("'subprocess.Popen'").And.Property("GlobalName").EqualTo("subprocess.Popen"));
    }

    [Test]
    public void HundredThousandNestedListsHitTheDepthLimitWithoutStackOverflow()
    {
        string path = Fixture("hostile_deep_list.pt");
        Assert.That(() => TorchCheckpointReader.Read(path),
            Throws.TypeOf<InteropFormatException>().With.Message.StartsWith(path).And.Message.Contains("nested more than 1000 deep"));
    }

    [Test]
    public void DeepNestingBuiltThroughTheMemoIsCaughtToo()
    {
        // The stack never holds more than three values: each level is fetched back from the memo and appended to.
        var builder = new PickleBytesBuilder().Op(']').LongPut(0);
        for (uint i = 0; i < 5000; i++) builder.LongGet(i).Op(']').LongPut(i + 1).Op('a').Op('0');
        string path = WriteTorchZip(_directory, "memo_deep", builder.Stop());
        Assert.That(() => TorchCheckpointReader.Read(path), Throws.TypeOf<InteropFormatException>().With.Message.Contains("nested more than 1000 deep"));
        var limits = new TorchCheckpointLimits { MaxDepth = 6000 };
        using var checkpoint = TorchCheckpointReader.Read(path, limits);
        Assert.That(checkpoint.Root, Is.TypeOf<PickleList>(), "a higher limit admits the same file");
    }

    [Test]
    public void AListThatContainsItselfIsRefused()
    {
        var pickle = new PickleBytesBuilder().Op(']').LongPut(0).LongGet(0).Op('a').Stop();
        string path = WriteTorchZip(_directory, "cycle", pickle);
        Assert.That(() => TorchCheckpointReader.Read(path), Throws.TypeOf<InteropFormatException>().With.Message.Contains("contains itself"));
    }

    [Test]
    public void HugeDeclaredStringLengthIsRefusedBeforeAllocating()
    {
        string path = Fixture("hostile_huge_string.pt");
        Assert.That(() => TorchCheckpointReader.Read(path),
            Throws.TypeOf<InteropFormatException>().With.Message.Contains("declares 4294967280 bytes but only 6 remain"));
    }

    [Test]
    public void StorageDeclaringMoreElementsThanItsRecordIsRefused()
    {
        string path = Fixture("hostile_short_storage.pt");
        Assert.That(() => TorchCheckpointReader.Read(path),
            Throws.TypeOf<InteropFormatException>().With.Message.Contains("storage '0' declares 4 Float32 elements (16 bytes) but its record holds only 8 bytes"));
    }

    [Test]
    public void ViewReachingPastItsStorageIsRefused()
    {
        var ok = new PickleBytesBuilder().FloatTensor(numel: 4, offset: 1, size: [3], stride: [1]).Stop();
        var bad = new PickleBytesBuilder().FloatTensor(numel: 4, offset: 1, size: [2, 2], stride: [2, 1]).Stop();
        var storage = new Dictionary<string, byte[]> { ["0"] = [.. BitConverter.GetBytes(1f), .. BitConverter.GetBytes(2f), .. BitConverter.GetBytes(3f), .. BitConverter.GetBytes(4f)] };
        using (var checkpoint = TorchCheckpointReader.Read(WriteTorchZip(_directory, "inside", ok, storage)))
            Assert.That(((PickleTensor)checkpoint.Root).Tensor.data<float>().ToArray(), Is.EqualTo(new[] { 2f, 3f, 4f }));
        Assert.That(() => TorchCheckpointReader.Read(WriteTorchZip(_directory, "outside", bad, storage)),
            Throws.TypeOf<InteropFormatException>().With.Message.Contains("it reaches element 4, beyond the end of the storage"));
    }

    [Test]
    public void BigEndianStoragesAreSwapped()
    {
        var pickle = new PickleBytesBuilder().FloatTensor(numel: 2, offset: 0, size: [2], stride: [1]).Stop();
        var storage = new Dictionary<string, byte[]> { ["0"] = [0x3F, 0xC0, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00] }; // 1.5f, -2f big-endian
        using var checkpoint = TorchCheckpointReader.Read(WriteTorchZip(_directory, "big", pickle, storage, byteOrder: "big"));
        Assert.That(((PickleTensor)checkpoint.Root).Tensor.data<float>().ToArray(), Is.EqualTo(new[] { 1.5f, -2f }));
    }

    [Test]
    public void MissingStorageRecordIsNamed()
    {
        var pickle = new PickleBytesBuilder().FloatTensor(numel: 4, offset: 0, size: [4], stride: [1]).Stop();
        Assert.That(() => TorchCheckpointReader.Read(WriteTorchZip(_directory, "nostorage", pickle)),
            Throws.TypeOf<InteropFormatException>().With.Message.Contains("storage record 'nostorage/data/0' is missing"));
    }

    [Test]
    public void UnknownOpcodeIsNamedWithItsByteAndOffset()
    {
        var pickle = new PickleBytesBuilder().Op('I').Raw("1\n"u8.ToArray()).Stop();
        Assert.That(() => TorchCheckpointReader.Read(WriteTorchZip(_directory, "opcode", pickle)),
            Throws.TypeOf<InteropFormatException>().With.Message.Contains("unsupported pickle opcode 0x49 ('I')").And.Message.Contains("offset 2"));
    }

    [Test]
    public void TruncatedZipIsACleanErrorNamingTheFile()
    {
        string path = Fixture("hostile_truncated.pt");
        Assert.That(() => TorchCheckpointReader.Read(path),
            Throws.TypeOf<InteropFormatException>().With.Message.StartsWith(path).And.Message.Contains("damaged or truncated"));
    }

    [Test]
    public void NotAZipIsNamed()
    {
        string path = Path.Combine(_directory, "text.pt");
        File.WriteAllText(path, "hello");
        Assert.That(() => TorchCheckpointReader.Read(path),
            Throws.TypeOf<InteropFormatException>().With.Message.Contains("does not start with a zip signature"));
    }

    [Test]
    public void SizeLimitsAreEnforced()
    {
        string path = Fixture("state_dict.pt");
        Assert.Multiple(() =>
        {
            Assert.That(() => TorchCheckpointReader.Read(path, new TorchCheckpointLimits { MaxPickleBytes = 100 }),
                Throws.TypeOf<InteropFormatException>().With.Message.Contains("MaxPickleBytes"));
            Assert.That(() => TorchCheckpointReader.Read(path, new TorchCheckpointLimits { MaxTotalStorageBytes = 64 }),
                Throws.TypeOf<InteropFormatException>().With.Message.Contains("MaxTotalStorageBytes"));
        });
    }

    [Test]
    public void AZipBombIsRefusedFromItsDirectoryBeforeAnythingIsInflated()
    {
        // 64 MiB of zeros deflate to ~64 KiB: a small file that would inflate a thousandfold.
        string path = Path.Combine(_directory, "bomb.pt");
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
        {
            void Write(string entry, byte[] bytes, System.IO.Compression.CompressionLevel level)
            {
                using var stream = zip.CreateEntry(entry, level).Open();
                stream.Write(bytes);
            }
            Write("bomb/data.pkl", new PickleBytesBuilder().FloatTensor(numel: 4, offset: 0, size: [4], stride: [1]).Stop(),
                System.IO.Compression.CompressionLevel.NoCompression);
            Write("bomb/data/0", new byte[64 << 20], System.IO.Compression.CompressionLevel.SmallestSize);
        }
        Assert.That(new FileInfo(path).Length, Is.LessThan(1 << 20));
        Assert.That(() => TorchCheckpointReader.Read(path, new TorchCheckpointLimits { MaxTotalStorageBytes = 16 << 20 }),
            Throws.TypeOf<InteropFormatException>().With.Message.Contains("MaxTotalStorageBytes")
                .And.Message.Contains("nothing was inflated").And.Message.StartsWith(path));
        // Under a cap it fits, the same file loads (its tensor reads the first 4 floats of the record).
        using var checkpoint = TorchCheckpointReader.Read(path, new TorchCheckpointLimits { MaxTotalStorageBytes = 128 << 20 });
        Assert.That(((PickleTensor)checkpoint.Root).Tensor.data<float>().ToArray(), Is.EqualTo(new[] { 0f, 0f, 0f, 0f }));
    }

    [Test]
    public void TheDefaultStorageCapIsTheMemoryAvailableAtMost32GiB()
    {
        long cap = TorchCheckpointLimits.Default.MaxTotalStorageBytes;
        Assert.That(cap, Is.LessThanOrEqualTo(TorchCheckpointLimits.HardStorageCap));
        Assert.That(cap, Is.LessThanOrEqualTo(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes));
        Assert.That(cap, Is.GreaterThan(0));
    }

    [Test]
    public void ProtocolTwoBytesAndDevicesAreInterpretedByOurCode()
    {
        var pickle = new PickleBytesBuilder().Op('}').Op('(')
            .Str("blob").Global("_codecs", "encode").Str("ab\u00ff").Str("latin1").Op(0x86).Op('R')
            .Str("device").Global("torch", "device").Str("cuda").Int(1).Op(0x86).Op('R')
            .Op('u').Stop();
        using var checkpoint = TorchCheckpointReader.Read(WriteTorchZip(_directory, "values", pickle));
        var root = (PickleDict)checkpoint.Root;
        Assert.Multiple(() =>
        {
            Assert.That(((PickleBytes)root["blob"]).Value.ToArray(), Is.EqualTo(new byte[] { 0x61, 0x62, 0xff }));
            Assert.That(((PickleString)root["device"]).Value, Is.EqualTo("cuda:1"));
        });
    }
}
