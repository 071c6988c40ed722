using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Tests.Networks;

/// <summary>Shared helpers of the network tests.</summary>
internal static class NetworkTestHelpers
{
    private static readonly object MetaLock = new();

    /// <summary>
    /// Builds a module with the "meta" device as the default device: parameters get shapes but no storage, so the
    /// full-size networks can be counted and their keys checked in milliseconds.
    /// </summary>
    public static T OnMeta<T>(Func<T> build)
    {
        lock (MetaLock)
        {
            var previous = get_default_device();
            set_default_device(META);
            try { return build(); }
            finally { set_default_device(previous); }
        }
    }

    public static long CountParameters(nn.Module module) => module.parameters().Sum(p => p.numel());

    /// <summary>Shape of every state-dict entry, by key.</summary>
    public static Dictionary<string, long[]> Shapes(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);

    /// <summary>Parameter count of the direct child <paramref name="prefix"/> (all keys starting with "prefix.").</summary>
    public static long CountUnder(nn.Module module, string prefix) =>
        module.named_parameters().Where(p => p.name.StartsWith(prefix + ".", StringComparison.Ordinal)).Sum(p => p.parameter.numel());

    /// <summary>A float32 tensor whose flat element j is f(j), computed in double.</summary>
    public static Tensor Pattern(long[] shape, Func<double, double> f)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        var data = new float[n];
        for (var j = 0; j < n; j++) data[j] = (float)f(j);
        return tensor(data, shape);
    }

    /// <summary>
    /// Overwrites every state-dict entry with the deterministic pattern of make_reference_values.py: keys sorted
    /// ordinally; key i with n elements gets amp·sin(0.37 j + 0.91 i + 0.5), amp = 1/sqrt(n/shape[0]) for rank ≥ 2, else 0.1.
    /// </summary>
    public static int FillDeterministically(nn.Module module)
    {
        var sd = module.state_dict();
        var keys = sd.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        using var noGrad = no_grad();
        for (var i = 0; i < keys.Count; i++)
        {
            var target = sd[keys[i]];
            var shape = target.shape;
            var n = target.numel();
            var amp = shape.Length >= 2 ? 1.0 / Math.Sqrt((double)n / shape[0]) : 0.1;
            var index = i;
            using var values = Pattern(shape, j => amp * Math.Sin(0.37 * j + 0.91 * index + 0.5));
            target.copy_(values);
        }
        return keys.Count;
    }

    /// <summary>(Σ v, Σ v², Σ v_j·sin(0.01 j + 0.3)) in double, as printed by make_reference_values.py.</summary>
    public static (double Sum, double SumSq, double Projection) Summary(Tensor t)
    {
        var flat = t.detach().reshape(-1).to_type(ScalarType.Float64).data<double>().ToArray();
        double s = 0, s2 = 0, proj = 0;
        for (var j = 0; j < flat.Length; j++)
        {
            s += flat[j];
            s2 += flat[j] * flat[j];
            proj += flat[j] * Math.Sin(0.01 * j + 0.3);
        }
        return (s, s2, proj);
    }

    public static float[] Values(Tensor t) => t.detach().reshape(-1).to_type(ScalarType.Float32).data<float>().ToArray();
}
