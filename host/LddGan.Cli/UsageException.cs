namespace LddGan.Cli;

/// <summary>A command-line argument that cannot work; reported before any work starts.</summary>
public sealed class UsageException(string message) : Exception(message)
{
    /// <summary>Creates the folder of <paramref name="file"/> if needed (and says so), and checks that it can be written.</summary>
    public static void RequireWritableFolderFor(string file, string option)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
        try
        {
            if (!Directory.Exists(folder))
            {
                Directory.CreateDirectory(folder);
                Console.WriteLine($"created {folder} for {option}");
            }
            ProbeWrite(folder);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new UsageException($"{option} {file}: cannot write to {folder} ({e.Message}). Choose a writable path.");
        }
    }

    /// <summary>
    /// Checks, without creating anything, that <paramref name="folder"/> could be created and written: the folder itself
    /// when it exists, else its nearest existing parent (nothing is left behind when the command fails later).
    /// </summary>
    public static void RequireCreatableFolder(string folder, string option)
    {
        string full = Path.GetFullPath(folder);
        string? existing = full;
        while (existing is not null && !Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new UsageException($"{option} {folder}: {existing} is a file, not a folder. Choose another path.");
            existing = Path.GetDirectoryName(existing);
        }
        try
        {
            ProbeWrite(existing ?? ".");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new UsageException($"{option} {folder}: cannot write to {existing} ({e.Message}). Choose a writable path.");
        }
    }

    /// <summary>Rejects a step count below 1 (0 or less would make an empty or endless schedule).</summary>
    public static void RequirePositive(long? value, string option)
    {
        if (value is < 1) throw new UsageException($"{option} must be at least 1, got {value}.");
    }

    private static void ProbeWrite(string folder)
    {
        string probe = Path.Combine(folder, $".lddgan-write-check-{Environment.ProcessId}");
        File.WriteAllText(probe, "");
        File.Delete(probe);
    }
}
