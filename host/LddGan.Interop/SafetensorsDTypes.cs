using static TorchSharp.torch;

namespace LddGan.Interop;

/// <summary>The safetensors dtype names this library reads and writes, and their TorchSharp element types.</summary>
public static class SafetensorsDTypes
{
    private static readonly (string Name, ScalarType Type)[] Table =
    [
        ("F64", ScalarType.Float64), ("F32", ScalarType.Float32), ("F16", ScalarType.Float16), ("BF16", ScalarType.BFloat16),
        ("I64", ScalarType.Int64), ("I32", ScalarType.Int32), ("I16", ScalarType.Int16), ("I8", ScalarType.Int8),
        ("U8", ScalarType.Byte), ("BOOL", ScalarType.Bool),
    ];

    /// <summary>All supported names, in the order of the table above.</summary>
    public static IReadOnlyList<string> Names { get; } = Table.Select(t => t.Name).ToArray();

    /// <summary>The element type for a safetensors dtype name (case-sensitive, as the format defines them).</summary>
    public static bool TryParse(string name, out ScalarType type)
    {
        foreach (var (n, t) in Table)
            if (n == name) { type = t; return true; }
        type = default;
        return false;
    }

    /// <summary>The safetensors name of an element type, or null when the format (as supported here) has none.</summary>
    public static string? NameOf(ScalarType type)
    {
        foreach (var (n, t) in Table)
            if (t == type) return n;
        return null;
    }
}
