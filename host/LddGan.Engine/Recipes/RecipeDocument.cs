using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Parsing;

namespace LddGan.Engine.Recipes;

/// <summary>
/// A TOML recipe read once: its values, where each key stands (for <c>file(line,col)</c> errors), the keys set twice,
/// and what the host needs before it can bind it (plugin folders, which kind of recipe). The loaders bind it.
/// </summary>
public sealed class RecipeDocument
{
    private readonly Dictionary<string, (int Line, int Column)> _positions;

    private RecipeDocument(TomlTable root, string sourceName, Dictionary<string, (int, int)> positions,
                           IReadOnlyList<(string Key, (int Line, int Column) First, (int Line, int Column) Again)> duplicateKeys)
    {
        Root = root;
        SourceName = sourceName;
        _positions = positions;
        DuplicateKeys = duplicateKeys;
    }

    /// <summary>The parsed values.</summary>
    public TomlTable Root { get; }
    /// <summary>The file (or entry) the text came from, as errors name it.</summary>
    public string SourceName { get; }
    /// <summary>Keys set more than once in one table (TOML forbids it; the value reader keeps the last silently).</summary>
    internal IReadOnlyList<(string Key, (int Line, int Column) First, (int Line, int Column) Again)> DuplicateKeys { get; }

    /// <summary>An autoencoder recipe (it has an <c>[autoencoder]</c> section) rather than a diffusion-GAN one.</summary>
    public bool IsAutoencoder => Root.ContainsKey("autoencoder");

    /// <summary>Reads the recipe file at <paramref name="path"/>.</summary>
    public static RecipeDocument Read(string path)
    {
        if (!File.Exists(path)) throw new RecipeException($"{path}: error: recipe file not found.");
        string full = Path.GetFullPath(path);
        return Parse(File.ReadAllText(full), full);
    }

    /// <summary>Parses recipe text; syntax errors are thrown as <see cref="RecipeException"/> with their positions.</summary>
    public static RecipeDocument Parse(string text, string sourceName)
    {
        var root = ParseToml(text, sourceName);
        var (positions, duplicates) = KeyPositions(text, sourceName);
        return new RecipeDocument(root, sourceName, positions, duplicates);
    }

    /// <summary>
    /// The recipe's <c>plugin_folders</c> (paths relative to the recipe's folder), needed before the components are
    /// resolved: the host loads those plugins first. Malformed: a <see cref="RecipeException"/> naming the line.
    /// </summary>
    public IReadOnlyList<string> PluginFolders
    {
        get
        {
            var errors = new List<string>();
            var folders = PluginFoldersOf((key, message) => errors.Add($"{Where(key)}: error: {message}"));
            if (errors.Count > 0) throw new RecipeException(errors);
            return folders;
        }
    }

    /// <summary><c>file(line,col)</c> of a "key" or "section.key", or just the file when it is not in the text.</summary>
    internal string Where(string keyPath) =>
        _positions.TryGetValue(keyPath, out var p) ? $"{SourceName}({p.Line},{p.Column})" : SourceName;

    internal IReadOnlyList<string> PluginFoldersOf(Action<string, string> error)
    {
        if (!Root.TryGetValue("plugin_folders", out var value)) return [];
        if (value is not TomlArray array || array.Any(v => v is not string))
        {
            error("plugin_folders", "'plugin_folders' must be an array of folder paths (strings), relative to the recipe's folder.");
            return [];
        }
        string baseDir = Path.GetDirectoryName(Path.GetFullPath(SourceName)) ?? ".";
        return array.Cast<string>().Select(f => Path.GetFullPath(Path.Combine(baseDir, f))).ToList();
    }

    internal static TomlTable ParseToml(string text, string sourceName)
    {
        try
        {
            return TomlSerializer.Deserialize<TomlTable>(text, new TomlSerializerOptions { SourceName = sourceName }) ?? new TomlTable();
        }
        catch (TomlException e)
        {
            throw new RecipeException(e.Message.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList());
        }
    }

    /// <summary>
    /// One walk of the syntax tree: the 1-based line/column of each "key", "section" and "section.key" (for error
    /// messages), and the keys set more than once in the same table.
    /// </summary>
    private static (Dictionary<string, (int Line, int Column)>, List<(string, (int, int), (int, int))>) KeyPositions(string text, string sourceName)
    {
        var positions = new Dictionary<string, (int, int)>();
        var duplicates = new List<(string, (int, int), (int, int))>();
        var doc = SyntaxParser.Parse(text, sourceName);
        void See(string path, Tomlyn.Syntax.KeyValueSyntax kv)
        {
            var at = (kv.Span.Start.Line + 1, kv.Span.Start.Column + 1);
            if (!positions.TryAdd(path, at)) { duplicates.Add((path, positions[path], at)); positions[path] = at; }
        }
        foreach (var kv in doc.KeyValues)
            if (kv.Key is not null) See(kv.Key.ToString()!.Trim(), kv);
        foreach (var table in doc.Tables)
        {
            string section = table.Name?.ToString()?.Trim() ?? "";
            positions.TryAdd(section, (table.Span.Start.Line + 1, table.Span.Start.Column + 1));
            foreach (var kv in table.Items)
                if (kv.Key is not null) See($"{section}.{kv.Key.ToString()!.Trim()}", kv);
        }
        return (positions, duplicates);
    }
}
