using LddGan.Abstractions;
using LddGan.Engine.Components;
using Tomlyn.Model;

namespace LddGan.Engine.Recipes;

/// <summary>A component section of a recipe kind: its name, the kind of component it names, and the type used when it is absent.</summary>
public readonly record struct ComponentSection(string Section, ComponentKind Kind, string? DefaultType);

/// <summary>
/// Binds a <see cref="RecipeDocument"/> to one kind of recipe: unknown sections and keys (with "did you mean"), wrong
/// types and unknown component names are all collected as <c>file(line,col): error: ...</c> and thrown together.
/// </summary>
internal sealed class RecipeBinder
{
    private static readonly string[] TopLevelKeys = ["name", "seed", "device", "plugin_folders"];

    private readonly RecipeDocument _document;
    private readonly List<string> _errors = [];

    private TomlTable Root => _document.Root;
    private string SourceName => _document.SourceName;

    /// <summary>Starts binding <paramref name="document"/>, whose sections must be among <paramref name="sections"/>.</summary>
    public RecipeBinder(RecipeDocument document, IReadOnlyList<string> sections)
    {
        _document = document;
        foreach (var (key, first, again) in document.DuplicateKeys)
            _errors.Add($"{SourceName}({again.Line},{again.Column}): error: '{key}' is set twice (first at line {first.Line}); " +
                        "TOML allows a key once per table: remove one of them.");
        foreach (var (key, value) in Root)
        {
            if (value is TomlTable)
            {
                if (!sections.Contains(key))
                    Error(key, $"unknown section [{key}].{NameSuggestions.DidYouMean(key, sections)} Sections: {string.Join(", ", sections)}.");
            }
            else if (!TopLevelKeys.Contains(key))
            {
                Error(key, $"unknown key '{key}'.{NameSuggestions.DidYouMean(key, TopLevelKeys.Concat(sections))} Top-level keys: {string.Join(", ", TopLevelKeys)}.");
            }
        }
    }

    /// <summary>Whether the recipe has the table [<paramref name="section"/>].</summary>
    public bool HasSection(string section) => Root.ContainsKey(section);

    public void Error(string keyPath, string message) => _errors.Add($"{_document.Where(keyPath)}: error: {message}");
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
        var pluginFolders = _document.PluginFoldersOf(Error);
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

    private T Get<T>(TomlTable root, string key, T fallback)
    {
        if (!root.TryGetValue(key, out var value)) return fallback;
        if (value is T typed) return typed;
        Error(key, $"'{key}' must be {(typeof(T) == typeof(string) ? "a string" : "an integer")}.");
        return fallback;
    }

}
