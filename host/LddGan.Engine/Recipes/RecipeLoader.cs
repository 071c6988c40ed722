using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Training;
using Tomlyn.Model;

namespace LddGan.Engine.Recipes;

/// <summary>
/// Reads TOML recipes strictly: syntax errors, unknown sections and keys (with "did you mean"), wrong types,
/// out-of-range values and unknown component names are all reported as <c>file(line,col): error: ...</c>.
/// </summary>
public sealed class RecipeLoader(ComponentCatalog catalog)
{
    private static readonly ComponentSection[] ComponentSections =
    [
        new("data", ComponentKind.Dataset, null),
        new("latent", ComponentKind.LatentSpace, "pixel"),
        new("diffusion", ComponentKind.DiffusionProcess, "vp"),
        new("generator", ComponentKind.Denoiser, null),
        new("discriminator", ComponentKind.Discriminator, null),
        new("loss", ComponentKind.LossSchedule, "adversarial"),
    ];

    private static readonly string[] PlainSections = ["train", "sample", "output", "runtime"];

    public Recipe LoadFile(string path)
    {
        if (!File.Exists(path))
            throw new RecipeException($"{path}: error: recipe file not found.");
        return Parse(File.ReadAllText(path), Path.GetFullPath(path));
    }

    public Recipe Parse(string text, string sourceName)
    {
        var doc = RecipeDocument.Open(text, sourceName, ComponentSections.Select(s => s.Section).Concat(PlainSections).ToList());
        var (name, seed, device, pluginFolders) = doc.Header();
        var specs = new Dictionary<string, ComponentSpec>();
        foreach (var section in ComponentSections)
            if (doc.Component(catalog, section) is { } spec) specs[section.Section] = spec;
        var train = doc.Plain<TrainingOptions>("train");
        var sample = doc.Plain<SamplingOptions>("sample");
        var output = doc.Plain<OutputOptions>("output");
        var runtime = doc.Plain<RuntimeOptions>("runtime");
        doc.ThrowIfErrors();
        return new Recipe
        {
            Name = name, Seed = seed, Device = device, PluginFolders = pluginFolders,
            Data = specs["data"], Latent = specs["latent"], Diffusion = specs["diffusion"],
            Generator = specs["generator"], Discriminator = specs["discriminator"], Loss = specs["loss"],
            Train = train, Sample = sample, Output = output, Runtime = runtime, SourcePath = sourceName,
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
        try { root = RecipeDocument.ParseToml(File.ReadAllText(full), full); }
        catch (RecipeException) { return []; }   // the full load reports syntax errors with positions
        var errors = new List<string>();
        var folders = RecipeDocument.PluginFoldersOf(root, full, (key, message) => errors.Add($"{full}: error: {message}"));
        if (errors.Count > 0) throw new RecipeException(errors);
        return folders;
    }

    /// <summary>Whether the TOML file is an autoencoder recipe (it has an <c>[autoencoder]</c> section) rather than a diffusion-GAN one.</summary>
    public static bool IsAutoencoderRecipe(string path)
    {
        if (!File.Exists(path)) return false;
        try { return RecipeDocument.ParseToml(File.ReadAllText(path), path).ContainsKey("autoencoder"); }
        catch (RecipeException) { return false; }   // the full load reports syntax errors with positions
    }
}
