namespace LddGan.Engine.Runtime;

/// <summary>How much memory this process can still use, for limits and estimates that must not ask for more.</summary>
public static class MachineMemory
{
    /// <summary>
    /// Bytes available now: Linux's <c>MemAvailable</c> (what can be allocated without swapping, page cache included),
    /// capped by the .NET runtime's view of the machine or container limit; that view alone elsewhere.
    /// </summary>
    public static long AvailableBytes()
    {
        long runtimeLimit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long? memAvailable = ReadMemAvailable();
        return memAvailable is { } bytes ? Math.Min(bytes, runtimeLimit) : runtimeLimit;
    }

    /// <summary>A byte count for messages: "1.5 GiB", "300 MiB".</summary>
    public static string Format(long bytes) => bytes >= 1L << 30
        ? $"{bytes / (double)(1L << 30):F1} GiB"
        : $"{bytes / (double)(1L << 20):F0} MiB";

    private static long? ReadMemAvailable()
    {
        const string file = "/proc/meminfo";
        if (!OperatingSystem.IsLinux() || !File.Exists(file)) return null;
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts.Length >= 2 && long.TryParse(parts[1], out long kib) ? kib * 1024 : null;
            }
        }
        catch (IOException) { }
        return null;
    }
}
