using System.Text.Json;
using LddGan.Evaluation;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Evaluation.Inception;

/// <summary>
/// The weight formula of Fixtures/make_inception_fixture.py, repeated bit for bit: floating state-dict keys sorted
/// ordinally (num_batches_tracked skipped), key index i, element j → u = top 24 bits of splitmix64(i·2³² + j) / 2²³ − 1
/// (exact in float32); conv weights sqrt(6 / fan_in)·u, BN weight 1 + 0.2u, bias and running_mean 0.1u, running_var 1 + 0.5u.
/// </summary>
internal static class InceptionFormulaWeights
{
    public static Dictionary<string, Tensor> For(FidInceptionV3 net)
    {
        var shapes = net.state_dict()
            .Where(kv => !kv.Key.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (kv.Key, Shape: kv.Value.shape))
            .ToList();
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (var i = 0; i < shapes.Count; i++)
        {
            var (key, shape) = shapes[i];
            var n = shape.Aggregate(1L, (a, b) => a * b);
            Func<double, double> map =
                key.EndsWith("conv.weight", StringComparison.Ordinal) ? u => Math.Sqrt(6.0 / ((double)n / shape[0])) * u
                : key.EndsWith("bn.weight", StringComparison.Ordinal) ? u => 1.0 + 0.2 * u
                : key.EndsWith("bn.bias", StringComparison.Ordinal) || key.EndsWith("bn.running_mean", StringComparison.Ordinal) ? u => 0.1 * u
                : key.EndsWith("bn.running_var", StringComparison.Ordinal) ? u => 1.0 + 0.5 * u
                : throw new InvalidOperationException($"no formula for {key}");
            var data = new float[n];
            for (var j = 0L; j < n; j++) data[j] = (float)map(Uniform((ulong)i, (ulong)j));
            weights[key] = tensor(data, shape);
        }
        return weights;
    }

    private static double Uniform(ulong keyIndex, ulong j)
    {
        unchecked
        {
            var z = (keyIndex << 32) + j + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 40) / (double)(1 << 23) - 1.0;
        }
    }
}

/// <summary>
/// Test-only reader of Fixtures/inception_fixture.{json,bin}: the JSON indexes float32 little-endian tensors in the
/// .bin (name → shape, offset in floats) and holds checksums from the Python reference.
/// </summary>
internal sealed class InceptionFixture
{
    private readonly JsonElement _root;
    private readonly float[] _floats;

    private InceptionFixture(JsonElement root, float[] floats) { _root = root; _floats = floats; }

    public static InceptionFixture Load()
    {
        var folder = Path.Combine(TestContext.CurrentContext.TestDirectory, "Evaluation", "Fixtures");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "inception_fixture.json")));
        var bytes = File.ReadAllBytes(Path.Combine(folder, "inception_fixture.bin"));
        var floats = new float[bytes.Length / 4];
        for (var k = 0; k < floats.Length; k++) floats[k] = BitConverter.ToSingle(bytes, 4 * k);  // little-endian hosts only
        return new InceptionFixture(doc.RootElement.Clone(), floats);
    }

    public JsonElement this[string name] => _root.GetProperty(name);

    public Tensor Tensor(string name)
    {
        var entry = _root.GetProperty("float32_tensors").GetProperty(name);
        var shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var offset = entry.GetProperty("offset").GetInt32();
        var n = (int)shape.Aggregate(1L, (a, b) => a * b);
        return tensor(_floats.AsSpan(offset, n).ToArray(), shape);
    }

    public static long[] Shape(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt64()).ToArray();
}
