using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Training;
using LddGan.Engine.Runtime;

namespace LddGan.Engine.Recipes;

/// <summary>
/// A first-stage (autoencoder) training run: the dataset, the autoencoder, the image discriminator and the perceptual
/// distance of its objective, and the <c>[train]</c> settings. A TOML file is an autoencoder recipe when it has an
/// <c>[autoencoder]</c> section. Written next to each run as <c>recipe.resolved.toml</c> and inside its checkpoints.
/// </summary>
public sealed record AutoencoderRecipe
{
    public required string Name { get; init; }
    public long Seed { get; init; } = 1024;
    public string Device { get; init; } = "cpu";
    public IReadOnlyList<string> PluginFolders { get; init; } = [];
    public required ComponentSpec Data { get; init; }
    public required ComponentSpec Autoencoder { get; init; }
    public required ComponentSpec ImageDiscriminator { get; init; }
    public required ComponentSpec Perceptual { get; init; }
    public AutoencoderTrainingOptions Train { get; init; } = new();
    public OutputOptions Output { get; init; } = new();
    public RuntimeOptions Runtime { get; init; } = new();
    public string? SourcePath { get; init; }

    public string RunDirectory => string.IsNullOrEmpty(Output.Dir) ? Path.Combine("runs", Name) : Output.Dir;

    public IEnumerable<(string Section, ComponentSpec Spec)> Components()
    {
        yield return ("data", Data);
        yield return ("autoencoder", Autoencoder);
        yield return ("image_discriminator", ImageDiscriminator);
        yield return ("perceptual", Perceptual);
    }

    public string ToToml(string? header = null) =>
        TomlWriter.Recipe(header, Name, Seed, Device, PluginFolders, Components(), [("train", Train), ("output", Output), ("runtime", Runtime)]);
}

/// <summary>Reads autoencoder recipes with the same strictness as diffusion-GAN recipes.</summary>
public sealed class AutoencoderRecipeLoader(ComponentCatalog catalog)
{
    public static readonly ComponentSection[] ComponentSections =
    [
        new("data", ComponentKind.Dataset, null),
        new("autoencoder", ComponentKind.Autoencoder, null),
        new("image_discriminator", ComponentKind.ImageDiscriminator, "patch-gan"),
        new("perceptual", ComponentKind.PerceptualLoss, "none"),
    ];

    private static readonly string[] PlainSections = ["train", "output", "runtime"];

    /// <summary>Reads and binds the recipe file at <paramref name="path"/>.</summary>
    public AutoencoderRecipe LoadFile(string path) => Bind(RecipeDocument.Read(path));

    /// <summary>Parses and binds recipe text; <paramref name="sourceName"/> names it in errors.</summary>
    public AutoencoderRecipe Parse(string text, string sourceName) => Bind(RecipeDocument.Parse(text, sourceName));

    /// <summary>Binds a recipe already read (the host read it once for its plugin folders and kind).</summary>
    public AutoencoderRecipe Bind(RecipeDocument document)
    {
        var doc = new RecipeBinder(document, ComponentSections.Select(s => s.Section).Concat(PlainSections).ToList());
        var (name, seed, device, pluginFolders) = doc.Header();
        var specs = new Dictionary<string, ComponentSpec>();
        foreach (var section in ComponentSections)
            if (doc.Component(catalog, section) is { } spec) specs[section.Section] = spec;
        var train = doc.Plain<AutoencoderTrainingOptions>("train");
        var output = doc.Plain<OutputOptions>("output");
        var runtime = doc.Plain<RuntimeOptions>("runtime");
        doc.ThrowIfErrors();
        return new AutoencoderRecipe
        {
            Name = name, Seed = seed, Device = device, PluginFolders = pluginFolders,
            Data = specs["data"], Autoencoder = specs["autoencoder"], ImageDiscriminator = specs["image_discriminator"],
            Perceptual = specs["perceptual"], Train = train, Output = output, Runtime = runtime, SourcePath = document.SourceName,
        };
    }
}
