namespace LddGan.Engine.Runtime;

/// <summary>
/// The temporary files of atomic writes (<c>&lt;path&gt;.tmp-&lt;pid&gt;</c>, renamed over the path when complete), and
/// the clean-up of those left by writers that were killed mid-write.
/// </summary>
public static class TemporaryFiles
{
    public static string NameFor(string path) => $"{path}.tmp-{Environment.ProcessId}";

    /// <summary>Deletes temporaries of <paramref name="path"/> whose writing process is gone; a write in progress in a live process is left alone.</summary>
    public static void RemoveStale(string path)
    {
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (folder is null || !Directory.Exists(folder)) return;
        string prefix = Path.GetFileName(full) + ".tmp-";
        foreach (var file in Directory.EnumerateFiles(folder, prefix + "*"))
        {
            if (!int.TryParse(Path.GetFileName(file)[prefix.Length..], out int pid) || pid == Environment.ProcessId) continue;
            bool alive;
            try { using var process = System.Diagnostics.Process.GetProcessById(pid); alive = !process.HasExited; }
            catch (ArgumentException) { alive = false; }
            if (!alive)
                try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
