using LddGan.Abstractions;
using LddGan.Engine.Components;
using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Parsing;

namespace LddGan.Engine.Recipes;

/// <summary>A component section of a recipe kind: its name, the kind of component it names, and the type used when it is absent.</summary>
public readonly record struct ComponentSection(string Section, ComponentKind Kind, string? DefaultType);

/// <summary>
/// The strict TOML reading shared by every kind of recipe: syntax errors, unknown sections and keys (with "did you mean"),
/// wrong types and unknown component names, all collected as <c>file(line,col): error: ...</c> and thrown together.
/// </summary>
internal sealed class RecipeDocument
{
    private static readonly string[] TopLevelKeys = ["name", "seed", "device", "plugin_folders"];

    private readonly Dictionary<string, (int Line, int Column)> _positions;
    private readonly List<string> _errors = [];

    public TomlTable Root { get; }
    public string SourceName { get; }

    private RecipeDocument(TomlTable root, string sourceName, Dictionary<string, (int, int)> positions)
    {
        Root = root;
        SourceName = sourceName;
        _positions = positions;
    }

    public static TomlTable ParseToml(string text, string sourceName)
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

    /// <summary>Parses <paramref name="text"/> and reports any top-level key or section that is not one of <paramref name="sections"/>.</summary>
    public static RecipeDocument Open(string text, string sourceName, IReadOnlyList<string> sections)
    {
        var doc = new RecipeDocument(ParseToml(text, sourceName), sourceName, KeyPositions(text, sourceName));
        foreach (var (key, first, again) in DuplicateKeys(text, sourceName))
            doc._errors.Add($"{sourceName}({again.Line},{again.Column}): error: '{key}' is set twice (first at line {first.Line}); " +
                            "TOML allows a key once per table: remove one of them.");
        foreach (var (key, value) in doc.Root)
        {
            if (value is TomlTable)
            {
                if (!sections.Contains(key))
                    doc.Error(key, $"unknown section [{key}].{NameSuggestions.DidYouMean(key, sections)} Sections: {string.Join(", ", sections)}.");
            }
            else if (!TopLevelKeys.Contains(key))
            {
                doc.Error(key, $"unknown key '{key}'.{NameSuggestions.DidYouMean(key, TopLevelKeys.Concat(sections))} Top-level keys: {string.Join(", ", TopLevelKeys)}.");
            }
        }
        return doc;
    }

    public void Error(string keyPath, string message) =>
        _errors.Add($"{(_positions.TryGetValue(keyPath, out var p) ? $"{SourceName}({p.Line},{p.Column})" : SourceName)}: error: {message}");

    public void ThrowIfErrors()
    {
        if (_errors.Count > 0) throw new RecipeException(_errors);
    }

    /// <summary>name (default: the file name), seed, device and plugin_folders.</summary>
    public (string Name, long Seed, string Device, IReadOnlyList<string> PluginFolders) Header()
    {
        string name = Get(Root, "name", Path.GetFileNameWithoutExtension(SourceName));
        long seed = Get(Root, "seed", 1024L);
        string device = Get(Root, "device", "cpu");
        var pluginFolders = PluginFoldersOf(Root, SourceName, Error);
        if (!(device is "cpu" or "cuda" or "auto" || device.StartsWith("cuda:", StringComparison.Ordinal)))
            Error("device", $"device must be \"cpu\", \"cuda\", \"cuda:N\" or \"auto\", not \"{device}\".");
        return (name, seed, device, pluginFolders);
    }

    /// <summary>The component a section names, with its options bound; null (and an error) when it cannot be resolved.</summary>
    public ComponentSpec? Component(ComponentCatalog catalog, ComponentSection s)
    {
        var table = Root.TryGetValue(s.Section, out var t) && t is TomlTable tt ? tt : null;
        string? type = table is not null && table.TryGetValue("type", out var tv) ? tv as string : s.DefaultType;
        if (table is not null && table.TryGetValue("type", out var raw) && raw is not string)
        {
            Error($"{s.Section}.type", $"[{s.Section}] type must be a string naming a {s.Kind} component.");
            return null;
        }
        if (type is null)
        {
            var available = catalog.NamesOf(s.Kind);
            Error(s.Section, $"missing section [{s.Section}] with type = \"...\" ({s.Kind} component; available: {(available.Count == 0 ? "none loaded" : string.Join(", ", available))}).");
            return null;
        }
        if (!catalog.TryResolve(s.Kind, type, out var registration))
        {
            var available = catalog.NamesOf(s.Kind);
            Error($"{s.Section}.type", $"unknown {s.Kind} component \"{type}\".{NameSuggestions.DidYouMean(type, available)} Available: {(available.Count == 0 ? "none loaded (are the plugins installed?)" : string.Join(", ", available))}.");
            return null;
        }
        var options = registration.Factory.CreateDefaultOptions();
        if (table is not null)
            foreach (var (key, message) in OptionsBinder.Bind(options, table, ["type"]))
                Error(key.Length > 0 ? $"{s.Section}.{key}" : s.Section, $"[{s.Section}] {message}");
        return new ComponentSpec(s.Kind, type, options);
    }

    /// <summary>A plain section (no component) bound onto its options record.</summary>
    public T Plain<T>(string section) where T : class, new()
    {
        var options = new T();
        if (Root.TryGetValue(section, out var t) && t is TomlTable table)
            foreach (var (key, message) in OptionsBinder.Bind(options, table))
                Error(key.Length > 0 ? $"{section}.{key}" : section, $"[{section}] {message}");
        return options;
    }

    public static IReadOnlyList<string> PluginFoldersOf(TomlTable root, string sourceName, Action<string, string> error)
    {
        if (!root.TryGetValue("plugin_folders", out var value)) return [];
        if (value is not TomlArray array || array.Any(v => v is not string))
        {
            error("plugin_folders", "'plugin_folders' must be an array of folder paths (strings), relative to the recipe's folder.");
            return [];
        }
        string baseDir = Path.GetDirectoryName(Path.GetFullPath(sourceName)) ?? ".";
        return array.Cast<string>().Select(f => Path.GetFullPath(Path.Combine(baseDir, f))).ToList();
    }

    private T Get<T>(TomlTable root, string key, T fallback)
    {
        if (!root.TryGetValue(key, out var value)) return fallback;
        if (value is T typed) return typed;
        Error(key, $"'{key}' must be {(typeof(T) == typeof(string) ? "a string" : "an integer")}.");
        return fallback;
    }

    /// <summary>Keys set more than once in the same table (the TOML parser keeps the last one silently).</summary>
    private static List<(string Key, (int Line, int Column) First, (int Line, int Column) Again)> DuplicateKeys(string text, string sourceName)
    {
        var seen = new Dictionary<string, (int, int)>();
        var duplicates = new List<(string, (int, int), (int, int))>();
        var doc = SyntaxParser.Parse(text, sourceName);
        void See(string path, Tomlyn.Syntax.KeyValueSyntax kv)
        {
            var at = (kv.Span.Start.Line + 1, kv.Span.Start.Column + 1);
            if (!seen.TryAdd(path, at)) duplicates.Add((path, seen[path], at));
        }
        foreach (var kv in doc.KeyValues)
            if (kv.Key is not null) See(kv.Key.ToString()!.Trim(), kv);
        foreach (var table in doc.Tables)
        {
            string section = table.Name?.ToString()?.Trim() ?? "";
            foreach (var kv in table.Items)
                if (kv.Key is not null) See($"{section}.{kv.Key.ToString()!.Trim()}", kv);
        }
        return duplicates;
    }

    /// <summary>1-based line/column of each "key" and "section.key" in the source, for error messages.</summary>
    private static Dictionary<string, (int Line, int Column)> KeyPositions(string text, string sourceName)
    {
        var positions = new Dictionary<string, (int, int)>();
        var doc = SyntaxParser.Parse(text, sourceName);
        foreach (var kv in doc.KeyValues)
            if (kv.Key is not null) positions[kv.Key.ToString()!.Trim()] = (kv.Span.Start.Line + 1, kv.Span.Start.Column + 1);
        foreach (var table in doc.Tables)
        {
            string section = table.Name?.ToString()?.Trim() ?? "";
            positions.TryAdd(section, (table.Span.Start.Line + 1, table.Span.Start.Column + 1));
            foreach (var kv in table.Items)
                if (kv.Key is not null) positions[$"{section}.{kv.Key.ToString()!.Trim()}"] = (kv.Span.Start.Line + 1, kv.Span.Start.Column + 1);
        }
        return positions;
    }
}
