using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Training;
using LddGan.Engine.Runtime;

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

    /// <summary>Reads and binds the recipe file at <paramref name="path"/>.</summary>
    public Recipe LoadFile(string path) => Bind(RecipeDocument.Read(path));

    /// <summary>Parses and binds recipe text; <paramref name="sourceName"/> names it in errors.</summary>
    public Recipe Parse(string text, string sourceName) => Bind(RecipeDocument.Parse(text, sourceName));

    /// <summary>Binds a recipe already read (the host read it once for its plugin folders and kind).</summary>
    public Recipe Bind(RecipeDocument document)
    {
        var doc = new RecipeBinder(document, ComponentSections.Select(s => s.Section).Concat(PlainSections).ToList());
        var (name, seed, device, pluginFolders) = doc.Header();
        var specs = new Dictionary<string, ComponentSpec>();
        bool gaussian = false;
        foreach (var section in ComponentSections)
        {
            if (gaussian && section.Section is "discriminator" or "loss")
            {
                // A Gaussian diffusion model is trained by denoising alone: a discriminator or GAN loss schedule would be ignored.
                if (doc.HasSection(section.Section))
                    doc.Error(section.Section, $"[{section.Section}]: [diffusion] type \"{specs["diffusion"].Type}\" is a Gaussian diffusion model, trained by " +
                                               $"denoising without a discriminator or GAN loss schedule; remove [{section.Section}].");
                continue;
            }
            var spec = doc.Component(catalog, section);
            if (spec is not null) specs[section.Section] = spec;
            if (section.Section == "diffusion" && spec?.Options is IGaussianDiffusionOptions) gaussian = true;
        }
        if (specs.TryGetValue("diffusion", out var diffusion) && diffusion.Options is not IDiffusionProcessOptions)
            doc.Error("diffusion.type", $"[diffusion] type \"{diffusion.Type}\": its options record ({diffusion.Options.GetType().Name}) does not " +
                                        "implement IDiffusionProcessOptions, so T is unknown; the process's plugin must be rebuilt against abstractions 1.3 or later.");
        var train = doc.Plain<TrainingOptions>("train");
        var sample = doc.Plain<SamplingOptions>("sample");
        var output = doc.Plain<OutputOptions>("output");
        var runtime = doc.Plain<RuntimeOptions>("runtime");
        doc.ThrowIfErrors();
        return new Recipe
        {
            Name = name, Seed = seed, Device = device, PluginFolders = pluginFolders,
            Data = specs["data"], Latent = specs["latent"], Diffusion = specs["diffusion"],
            Generator = specs["generator"], Discriminator = specs.GetValueOrDefault("discriminator"), Loss = specs.GetValueOrDefault("loss"),
            Train = train, Sample = sample, Output = output, Runtime = runtime, SourcePath = document.SourceName,
        };
    }
}
