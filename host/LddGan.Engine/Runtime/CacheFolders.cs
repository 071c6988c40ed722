namespace LddGan.Engine.Runtime;

/// <summary>
/// Where lddgan keeps what it can recompute (prepared image packs, evaluation features): <c>$LDDGAN_CACHE/&lt;kind&gt;</c>
/// when that variable is set, else <c>runs/.cache/&lt;kind&gt;</c> under the working directory. File names in it are
/// made from user text with <see cref="SafeName"/>.
/// </summary>
public static class CacheFolders
{
    public const string EnvironmentVariable = "LDDGAN_CACHE";

    public static string For(string kind)
    {
        string? root = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(root)
            ? Path.Combine(Directory.GetCurrentDirectory(), "runs", ".cache", kind)
            : Path.Combine(root, kind);
    }

    /// <summary>Letters, digits, '-' and '_' kept; anything else (separators, spaces, dots) becomes '_'.</summary>
    public static string SafeName(string text) =>
        new(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
}
