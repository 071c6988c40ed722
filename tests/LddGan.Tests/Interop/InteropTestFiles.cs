using System.IO.Compression;
using System.Text.Json;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Interop;

/// <summary>Fixture lookup, temporary folders, hand-built torch-style zips and comparison with what Python saw.</summary>
internal static class InteropTestFiles
{
    public static string Fixture(string name)
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Interop", "Fixtures", name);
        Assert.That(File.Exists(path), Is.True, $"fixture {name} is not in the test output (see LddGan.Tests.csproj)");
        return path;
    }

    public static JsonElement Expected(string section)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Fixture("expected.json")));
        return document.RootElement.GetProperty(section).Clone();
    }

    public static string NewTempDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "lddgan-interop-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>A zip laid out as torch.save lays it out, around pickle bytes written by the test.</summary>
    public static string WriteTorchZip(string directory, string name, byte[] pickle, IReadOnlyDictionary<string, byte[]>? storages = null, string? byteOrder = null)
    {
        string path = Path.Combine(directory, name + ".pt");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        Write(zip, $"{name}/data.pkl", pickle);
        foreach (var (key, data) in storages ?? new Dictionary<string, byte[]>())
            Write(zip, $"{name}/data/{key}", data);
        Write(zip, $"{name}/version", "3\n"u8.ToArray());
        if (byteOrder is not null) Write(zip, $"{name}/byteorder", System.Text.Encoding.ASCII.GetBytes(byteOrder));
        return path;

        static void Write(ZipArchive zip, string entry, byte[] bytes)
        {
            using var stream = zip.CreateEntry(entry, CompressionLevel.NoCompression).Open();
            stream.Write(bytes);
        }
    }

    public static ScalarType DTypeFromPython(string name) => name switch
    {
        "float64" => ScalarType.Float64, "float32" => ScalarType.Float32, "float16" => ScalarType.Float16,
        "bfloat16" => ScalarType.BFloat16, "int64" => ScalarType.Int64, "int32" => ScalarType.Int32,
        "int16" => ScalarType.Int16, "int8" => ScalarType.Int8, "uint8" => ScalarType.Byte, "bool" => ScalarType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "dtype not used by the fixtures"),
    };

    /// <summary>dtype, shape, strides, storage offset, sum and leading elements, as make_interop_fixtures.py's describe().</summary>
    public static void AssertMatches(Tensor tensor, JsonElement expected, string name, bool checkLayout = true)
    {
        using var scope = NewDisposeScope();
        var asDouble = tensor.to_type(ScalarType.Float64).reshape(-1);
        double sum = asDouble.sum().item<double>();
        var expectedFirst = expected.GetProperty("first").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var first = asDouble.NumberOfElements == 0 ? [] : asDouble[TensorIndex.Slice(0, 6)].data<double>().ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(tensor.dtype, Is.EqualTo(DTypeFromPython(expected.GetProperty("dtype").GetString()!)), $"{name}: dtype");
            Assert.That(tensor.shape, Is.EqualTo(Longs(expected, "shape")), $"{name}: shape");
            if (checkLayout)
            {
                Assert.That(tensor.stride(), Is.EqualTo(Longs(expected, "stride")), $"{name}: stride");
                Assert.That(tensor.storage_offset(), Is.EqualTo(expected.GetProperty("storage_offset").GetInt64()), $"{name}: storage offset");
                Assert.That(tensor.is_contiguous(), Is.EqualTo(expected.GetProperty("contiguous").GetBoolean()), $"{name}: contiguous");
            }
            Assert.That(tensor.device_type, Is.EqualTo(TorchSharp.DeviceType.CPU), $"{name}: device");
            Assert.That(sum, Is.EqualTo(expected.GetProperty("sum").GetDouble()).Within(1e-9), $"{name}: sum");
            Assert.That(first, Is.EqualTo(expectedFirst), $"{name}: leading elements (bit-exact)");
        });
    }

    private static long[] Longs(JsonElement element, string key) =>
        element.GetProperty(key).EnumerateArray().Select(e => e.GetInt64()).ToArray();
}
