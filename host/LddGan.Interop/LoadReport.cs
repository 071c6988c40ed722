namespace LddGan.Interop;

/// <summary>The outcome of copying a weight file's tensors into a module: what was copied and what did not fit.</summary>
public sealed record LoadReport(int Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<string> ShapeMismatches)
{
    public bool IsComplete => Missing.Count == 0 && ShapeMismatches.Count == 0;

    public string Describe(int limit = 8)
    {
        static string List(IReadOnlyList<string> items, int limit) =>
            string.Join(", ", items.Take(limit)) + (items.Count > limit ? $" … ({items.Count} in all)" : "");
        var parts = new List<string> { $"{Loaded} tensors loaded" };
        if (Missing.Count > 0) parts.Add($"missing: {List(Missing, limit)}");
        if (ShapeMismatches.Count > 0) parts.Add($"shape mismatches: {List(ShapeMismatches, limit)}");
        if (Unexpected.Count > 0) parts.Add($"unexpected (ignored): {List(Unexpected, limit)}");
        return string.Join("; ", parts);
    }
}
