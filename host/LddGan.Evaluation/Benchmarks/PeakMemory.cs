namespace LddGan.Evaluation.Benchmarks;

/// <summary>
/// The process's peak resident set size (Linux): <c>VmHWM</c> in /proc/self/status, the most physical memory the process
/// has held. Writing "5" to /proc/self/clear_refs resets that mark to the current RSS (Linux ≥ 4.0), so a peak can be
/// measured per model within one process. It counts everything resident: the .NET runtime, libtorch and its buffers,
/// and memory freed by earlier work but not yet returned to the OS. GPU memory is not included.
/// </summary>
public static class PeakMemory
{
    /// <summary>Whether /proc/self/status can be read (Linux).</summary>
    public static bool IsAvailable => OperatingSystem.IsLinux() && File.Exists("/proc/self/status");

    /// <summary>Resets the peak to the current RSS; false when the system does not allow it (then peaks are since process start).</summary>
    public static bool TryReset()
    {
        if (!IsAvailable) return false;
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// Peak RSS in bytes since the last reset (or process start), and at least <paramref name="seenSince"/> (a current
    /// RSS read after that reset); null where unknown. The kernel folds each thread's page counts into the process's
    /// totals lazily, so VmHWM can read a few hundred KB below an RSS read a moment earlier; a peak is never less than
    /// what was seen.
    /// </summary>
    public static long? PeakBytes(long? seenSince = null)
    {
        long? peak = ReadStatus("VmHWM:");
        long? current = ReadStatus("VmRSS:");
        long? most = Max(Max(peak, current), seenSince);
        return peak is null ? null : most;
    }

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    /// <summary>Current RSS in bytes; null where unknown.</summary>
    public static long? CurrentBytes() => ReadStatus("VmRSS:");

    private static long? ReadStatus(string field)
    {
        if (!IsAvailable) return null;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
            var parts = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.TryParse(parts[0], out long kb) ? kb * 1024 : null;
        }
        return null;
    }
}
