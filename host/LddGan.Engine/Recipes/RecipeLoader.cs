using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Training;
using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Parsing;

namespace LddGan.Engine.Recipes;

/// <summary>
/// Reads TOML recipes strictly: syntax errors, unknown sections and keys (with "did you mean"), wrong types,
/// out-of-range values and unknown component names are all reported as <c>file(line,col): error: ...</c>.
/// </summary>
public sealed class RecipeLoader(ComponentCatalog catalog)
{
    private static readonly string[] TopLevelKeys = ["name", "seed", "device", "plugin_folders"];

    private static readonly (string Section, ComponentKind Kind, string? DefaultType)[] ComponentSections =
    [
        ("data", ComponentKind.Dataset, null),
        ("latent", ComponentKind.LatentSpace, "pixel"),
        ("diffusion", ComponentKind.DiffusionProcess, "vp"),
        ("generator", ComponentKind.Denoiser, null),
        ("discriminator", ComponentKind.Discriminator, null),
        ("loss", ComponentKind.LossSchedule, "adversarial"),
    ];

    private static readonly string[] PlainSections = ["train", "sample", "output"];

    public Recipe LoadFile(string path)
    {
        if (!File.Exists(path))
            throw new RecipeException($"{path}: error: recipe file not found.");
        return Parse(File.ReadAllText(path), Path.GetFullPath(path));
    }

    public Recipe Parse(string text, string sourceName)
    {
        TomlTable root;
        try
        {
            root = TomlSerializer.Deserialize<TomlTable>(text, new TomlSerializerOptions { SourceName = sourceName })
                   ?? new TomlTable();
        }
        catch (TomlException e)
        {
            throw new RecipeException(e.Message.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList());
        }

        var positions = KeyPositions(text, sourceName);
        var errors = new List<string>();
        string At(string keyPath) => positions.TryGetValue(keyPath, out var p) ? $"{sourceName}({p.Line},{p.Column})" : sourceName;
        void Error(string keyPath, string message) => errors.Add($"{At(keyPath)}: error: {message}");

        var sectionNames = ComponentSections.Select(s => s.Section).Concat(PlainSections).ToList();
        foreach (var (key, value) in root)
        {
            if (value is TomlTable)
            {
                if (!sectionNames.Contains(key))
                    Error(key, $"unknown section [{key}].{NameSuggestions.DidYouMean(key, sectionNames)} Sections: {string.Join(", ", sectionNames)}.");
            }
            else if (!TopLevelKeys.Contains(key))
            {
                Error(key, $"unknown key '{key}'.{NameSuggestions.DidYouMean(key, TopLevelKeys.Concat(sectionNames))} Top-level keys: {string.Join(", ", TopLevelKeys)}.");
            }
        }

        string name = Get<string>(root, "name", Path.GetFileNameWithoutExtension(sourceName), Error);
        long seed = Get<long>(root, "seed", 1024L, Error);
        string device = Get<string>(root, "device", "cpu", Error);
        var pluginFolders = PluginFoldersOf(root, sourceName, Error);
        if (!(device is "cpu" or "cuda" or "auto" || device.StartsWith("cuda:", StringComparison.Ordinal)))
            Error("device", $"device must be \"cpu\", \"cuda\", \"cuda:N\" or \"auto\", not \"{device}\".");

        var specs = new Dictionary<string, ComponentSpec>();
        foreach (var (section, kind, defaultType) in ComponentSections)
        {
            var table = root.TryGetValue(section, out var t) && t is TomlTable tt ? tt : null;
            string? type = table is not null && table.TryGetValue("type", out var tv) ? tv as string : defaultType;
            if (table is not null && table.TryGetValue("type", out var raw) && raw is not string)
            { Error($"{section}.type", $"[{section}] type must be a string naming a {kind} component."); continue; }
            if (type is null)
            {
                var available = catalog.NamesOf(kind);
                Error(section, $"missing section [{section}] with type = \"...\" ({kind} component; available: {(available.Count == 0 ? "none loaded" : string.Join(", ", available))}).");
                continue;
            }
            if (!catalog.TryResolve(kind, type, out var registration))
            {
                var available = catalog.NamesOf(kind);
                Error($"{section}.type", $"unknown {kind} component \"{type}\".{NameSuggestions.DidYouMean(type, available)} Available: {(available.Count == 0 ? "none loaded (are the plugins installed?)" : string.Join(", ", available))}.");
                continue;
            }
            var options = registration.Factory.CreateDefaultOptions();
            if (table is not null)
                foreach (var (key, message) in OptionsBinder.Bind(options, table, ["type"]))
                    Error(key.Length > 0 ? $"{section}.{key}" : section, $"[{section}] {message}");
            specs[section] = new ComponentSpec(kind, type, options);
        }

        var train = BindPlain<TrainingOptions>(root, "train", Error);
        var sample = BindPlain<SamplingOptions>(root, "sample", Error);
        var output = BindPlain<OutputOptions>(root, "output", Error);

        if (errors.Count > 0) throw new RecipeException(errors);
        return new Recipe
        {
            Name = name, Seed = seed, Device = device, PluginFolders = pluginFolders,
            Data = specs["data"], Latent = specs["latent"], Diffusion = specs["diffusion"],
            Generator = specs["generator"], Discriminator = specs["discriminator"], Loss = specs["loss"],
            Train = train, Sample = sample, Output = output, SourcePath = sourceName,
        };
    }

    /// <summary>
    /// The recipe's <c>plugin_folders</c> (paths relative to the recipe's folder), read before the components are
    /// resolved: the host must load those plugins first. A missing file or key gives an empty list.
    /// </summary>
    public static IReadOnlyList<string> ReadPluginFolders(string path)
    {
        if (!File.Exists(path)) return [];
        string full = Path.GetFullPath(path);
        TomlTable root;
        try { root = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(full), new TomlSerializerOptions { SourceName = full }) ?? new TomlTable(); }
        catch (TomlException) { return []; }   // the full load reports syntax errors with positions
        var errors = new List<string>();
        var folders = PluginFoldersOf(root, full, (key, message) => errors.Add($"{full}: error: {message}"));
        if (errors.Count > 0) throw new RecipeException(errors);
        return folders;
    }

    private static IReadOnlyList<string> PluginFoldersOf(TomlTable root, string sourceName, Action<string, string> error)
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

    private static T BindPlain<T>(TomlTable root, string section, Action<string, string> error) where T : class, new()
    {
        var options = new T();
        if (root.TryGetValue(section, out var t) && t is TomlTable table)
            foreach (var (key, message) in OptionsBinder.Bind(options, table))
                error(key.Length > 0 ? $"{section}.{key}" : section, $"[{section}] {message}");
        return options;
    }

    private static T Get<T>(TomlTable root, string key, T fallback, Action<string, string> error)
    {
        if (!root.TryGetValue(key, out var value)) return fallback;
        if (value is T typed) return typed;
        error(key, $"'{key}' must be {(typeof(T) == typeof(string) ? "a string" : "an integer")}.");
        return fallback;
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
