using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using LddGan.Interop;
using NUnit.Framework;
using static LddGan.Tests.Interop.InteropTestFiles;
using static TorchSharp.torch;

namespace LddGan.Tests.Interop;

public sealed class SafetensorsFileTests
{
    private string _directory = "";

    [SetUp]
    public void CreateDirectory() => _directory = NewTempDirectory();

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    private static IEnumerable<TestCaseData> EveryDType()
    {
        yield return new TestCaseData("F64", (Func<Tensor>)(() => tensor(new[] { 1.5, -2.25, 1e300, double.Epsilon }))).SetName("RoundTrip_F64");
        yield return new TestCaseData("F32", (Func<Tensor>)(() => tensor(new[] { 0.1f, -3f, float.MaxValue, 7f, 8f, 9f }).reshape(2, 3))).SetName("RoundTrip_F32");
        yield return new TestCaseData("F16", (Func<Tensor>)(() => tensor(new[] { 0.5f, -1.25f, 65504f }).to_type(ScalarType.Float16))).SetName("RoundTrip_F16");
        yield return new TestCaseData("BF16", (Func<Tensor>)(() => tensor(new[] { 0.5f, -1.25f, 3.0e38f, 1f }).to_type(ScalarType.BFloat16).reshape(2, 2))).SetName("RoundTrip_BF16");
        yield return new TestCaseData("I64", (Func<Tensor>)(() => tensor(new[] { long.MinValue, 0L, long.MaxValue }))).SetName("RoundTrip_I64");
        yield return new TestCaseData("I32", (Func<Tensor>)(() => tensor(new[] { int.MinValue, -1, int.MaxValue }))).SetName("RoundTrip_I32");
        yield return new TestCaseData("I16", (Func<Tensor>)(() => tensor(new short[] { short.MinValue, 5, short.MaxValue }))).SetName("RoundTrip_I16");
        yield return new TestCaseData("I8", (Func<Tensor>)(() => tensor(new sbyte[] { -128, 0, 127 }))).SetName("RoundTrip_I8");
        yield return new TestCaseData("U8", (Func<Tensor>)(() => tensor(new byte[] { 0, 128, 255 }))).SetName("RoundTrip_U8");
        yield return new TestCaseData("BOOL", (Func<Tensor>)(() => tensor(new[] { true, false, true }))).SetName("RoundTrip_BOOL");
    }

    [TestCaseSource(nameof(EveryDType))]
    public void EveryDTypeRoundTripsBitExactly(string dtypeName, Func<Tensor> make)
    {
        using var original = make();
        string path = Path.Combine(_directory, "one.safetensors");
        SafetensorsFile.Write(path, [("t", original)]);

        var header = SafetensorsFile.ReadHeader(path);
        Assert.That(header.Tensors.Single().DTypeName, Is.EqualTo(dtypeName));
        using var content = SafetensorsFile.Read(path);
        var read = content.Tensors["t"];
        Assert.Multiple(() =>
        {
            Assert.That(read.dtype, Is.EqualTo(original.dtype));
            Assert.That(read.shape, Is.EqualTo(original.shape));
            Assert.That(read.bytes.ToArray(), Is.EqualTo(original.bytes.ToArray()));
        });
    }

    [Test]
    public void WriterSortsByNameCopiesViewsAndKeepsMetadata()
    {
        using var matrix = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using var transposed = matrix.t();
        using var scalar = tensor(3L);
        using var empty = zeros(0, 2);
        string path = Path.Combine(_directory, "several.safetensors");
        SafetensorsFile.Write(path, [("z.t", transposed), ("a.scalar", scalar), ("m.empty", empty)],
            new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode" });

        using var content = SafetensorsFile.Read(path);
        Assert.Multiple(() =>
        {
            Assert.That(content.Tensors.Keys, Is.EqualTo(new[] { "a.scalar", "m.empty", "z.t" }));
            Assert.That(content.Tensors["z.t"].shape, Is.EqualTo(new long[] { 3, 2 }));
            Assert.That(content.Tensors["z.t"].data<float>().ToArray(), Is.EqualTo(new float[] { 0, 3, 1, 4, 2, 5 }));
            Assert.That(content.Tensors["a.scalar"].shape, Is.Empty);
            Assert.That(content.Tensors["a.scalar"].item<long>(), Is.EqualTo(3));
            Assert.That(content.Tensors["m.empty"].shape, Is.EqualTo(new long[] { 0, 2 }));
            Assert.That(content.Metadata["note"], Is.EqualTo("ünïcode"));
        });

        // The raw layout, checked without our reader: length prefix, padded JSON, data right after it.
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var json = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        var t = json.RootElement.GetProperty("z.t");
        Assert.Multiple(() =>
        {
            Assert.That(headerLength % 8, Is.Zero, "header padded to 8 bytes");
            Assert.That(t.GetProperty("dtype").GetString(), Is.EqualTo("F32"));
            Assert.That(bytes.Length, Is.EqualTo(8 + headerLength + 8 + 0 + 24));
            long begin = t.GetProperty("data_offsets")[0].GetInt64();
            Assert.That(BitConverter.ToSingle(bytes, (int)(8 + headerLength + begin + 4)), Is.EqualTo(3f));
            Assert.That(Directory.GetFiles(_directory), Has.Length.EqualTo(1), "no temporary file left behind");
        });
    }

    [Test]
    public void ReadsAFileWrittenByHandByteByByte()
    {
        // Two tensors, header written literally, data little-endian: F32 [1.5, -2.0] and I16 [[7, -1]].
        string json = """{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I16","shape":[1,2],"data_offsets":[8,12]}}""";
        var file = new List<byte>();
        file.AddRange(BitConverter.GetBytes((ulong)json.Length));
        file.AddRange(Encoding.UTF8.GetBytes(json));
        file.AddRange([0x00, 0x00, 0xC0, 0x3F]); // 1.5f
        file.AddRange([0x00, 0x00, 0x00, 0xC0]); // -2.0f
        file.AddRange([0x07, 0x00, 0xFF, 0xFF]); // 7, -1
        string path = Path.Combine(_directory, "hand.safetensors");
        File.WriteAllBytes(path, [.. file]);

        using var content = SafetensorsFile.Read(path);
        Assert.Multiple(() =>
        {
            Assert.That(content.Tensors.Keys, Is.EqualTo(new[] { "a", "b" }));
            Assert.That(content.Tensors["a"].data<float>().ToArray(), Is.EqualTo(new[] { 1.5f, -2f }));
            Assert.That(content.Tensors["b"].shape, Is.EqualTo(new long[] { 1, 2 }));
            Assert.That(content.Tensors["b"].data<short>().ToArray(), Is.EqualTo(new short[] { 7, -1 }));
            Assert.That(content.Metadata, Is.EqualTo(new Dictionary<string, string> { ["k"] = "v" }));
        });
    }

    [Test]
    public void ReadsTheFileWrittenByPythonFromTheSpecification()
    {
        var expected = Expected("safetensors");
        using var content = SafetensorsFile.Read(Fixture("python_written.safetensors"));
        var names = expected.GetProperty("tensors").EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal);
        Assert.That(content.Tensors.Keys, Is.EqualTo(names));
        foreach (var property in expected.GetProperty("tensors").EnumerateObject())
            AssertMatches(content.Tensors[property.Name], property.Value, property.Name, checkLayout: false);
        Assert.That(content.Metadata["source"], Is.EqualTo(expected.GetProperty("metadata").GetProperty("source").GetString()));
    }

    [Test]
    public void ThePythonFileSurvivesOurWriterUnchanged()
    {
        using var content = SafetensorsFile.Read(Fixture("python_written.safetensors"));
        string path = Path.Combine(_directory, "again.safetensors");
        SafetensorsFile.Write(path, content.Tensors.Select(kv => (kv.Key, kv.Value)), content.Metadata);
        byte[] ours = File.ReadAllBytes(path), python = File.ReadAllBytes(Fixture("python_written.safetensors"));
        int oursHeader = (int)BitConverter.ToUInt64(ours), pythonHeader = (int)BitConverter.ToUInt64(python);
        Assert.That(ours.AsSpan(8 + oursHeader).ToArray(), Is.EqualTo(python.AsSpan(8 + pythonHeader).ToArray()),
            "same name order and bytes for the data section");
    }

    private static IEnumerable<TestCaseData> Malformed()
    {
        static byte[] File(string json, int dataBytes, ulong? declaredLength = null)
        {
            var header = Encoding.UTF8.GetBytes(json);
            return [.. BitConverter.GetBytes(declaredLength ?? (ulong)header.Length), .. header, .. new byte[dataBytes]];
        }
        const string ok = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        yield return new TestCaseData(new byte[] { 1, 2, 3 }, "shorter than the 8-byte header length").SetName("Rejects_TooShort");
        yield return new TestCaseData(File(ok, 8, declaredLength: 5000), "header length 5000 is larger than the file").SetName("Rejects_HeaderLongerThanFile");
        yield return new TestCaseData(File(ok, 8, declaredLength: 200_000_000), "header length 200000000 is absurd").SetName("Rejects_AbsurdHeaderLength");
        yield return new TestCaseData(File("""{"a": {"dtype": "F32",""", 8), "not valid JSON").SetName("Rejects_InvalidJson");
        yield return new TestCaseData(File("[1, 2]", 0), "must be a JSON object").SetName("Rejects_JsonArray");
        yield return new TestCaseData(File("""{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}""", 2), "tensor 'a': unknown dtype 'F8_E4M3'").SetName("Rejects_UnknownDType");
        yield return new TestCaseData(File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4), "data_offsets [0, 8] are out of range: the data section holds only 4 bytes").SetName("Rejects_TruncatedData");
        yield return new TestCaseData(File("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 12), "span 8 bytes, but shape [3] of F32 needs 12 bytes").SetName("Rejects_SizeMismatch");
        yield return new TestCaseData(File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8), "run backwards").SetName("Rejects_BackwardsOffsets");
        yield return new TestCaseData(File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12), "tensors 'a' [0, 8] and 'b' [4, 12] overlap").SetName("Rejects_Overlap");
        yield return new TestCaseData(File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 16), "names 'a' twice (duplicate name)").SetName("Rejects_DuplicateName");
        yield return new TestCaseData(File("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8), "'shape' must hold non-negative integers").SetName("Rejects_NegativeShape");
        yield return new TestCaseData(File("""{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", 8), "needs more than 2^63 bytes").SetName("Rejects_OverflowingShape");
        yield return new TestCaseData(File("""{"__metadata__":{"n":3}}""", 0), "metadata 'n' must be a string").SetName("Rejects_NonStringMetadata");
        yield return new TestCaseData(File("""{"a":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}""", 0).Concat(new byte[] { 1, 7 }).ToArray(), "bool element 1 holds the byte 7").SetName("Rejects_InvalidBool");
    }

    [TestCaseSource(nameof(Malformed))]
    public void MalformedFilesAreRejectedWithAClearMessage(byte[] content, string expectedMessage)
    {
        string path = Path.Combine(_directory, "bad.safetensors");
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<InteropFormatException>(() => SafetensorsFile.Read(path).Dispose());
        Assert.That(e!.Message, Does.StartWith(path).And.Contain(expectedMessage));
    }

    [Test]
    public void WriterRejectsDuplicateNamesAndUnsupportedTypes()
    {
        using var a = ones(2);
        using var complex = zeros(2, dtype: ScalarType.ComplexFloat32);
        string path = Path.Combine(_directory, "w.safetensors");
        Assert.Multiple(() =>
        {
            Assert.That(() => SafetensorsFile.Write(path, [("x", a), ("x", a)]),
                Throws.TypeOf<InteropFormatException>().With.Message.Contains("'x' is given twice"));
            Assert.That(() => SafetensorsFile.Write(path, [("c", complex)]),
                Throws.TypeOf<InteropFormatException>().With.Message.Contains("tensor 'c' has element type ComplexFloat32"));
            Assert.That(File.Exists(path), Is.False);
        });
    }
}
