namespace LddGan.Cli;

/// <summary>A command-line argument that cannot work; reported before any work starts.</summary>
public sealed class UsageException(string message) : Exception(message)
{
    /// <summary>Creates the folder of <paramref name="file"/> if needed (and says so), and checks that it can be written.</summary>
    public static void RequireWritableFolderFor(string file, string option)
    {
        string folder = Path.GetDirectoryName(file) ?? ".";
        try
        {
            if (!Directory.Exists(folder))
            {
                Directory.CreateDirectory(folder);
                Console.WriteLine($"created {folder} for {option}");
            }
            string probe = Path.Combine(folder, $".lddgan-write-check-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new UsageException($"{option} {file}: cannot write to {folder} ({e.Message}). Choose a writable path.");
        }
    }
}
