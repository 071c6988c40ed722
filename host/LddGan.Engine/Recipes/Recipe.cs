using LddGan.Abstractions;
using LddGan.Engine.Training;
using LddGan.Engine.Runtime;
using LddGan.Engine.Components;

namespace LddGan.Engine.Recipes;


/// <summary>
/// A complete, resolved run description: every component with all of its options, training, sampling, output, seed.
/// Written next to each run as <c>recipe.resolved.toml</c>; reading that file back reproduces the run.
/// </summary>
public sealed record Recipe
{
    public required string Name { get; init; }
    public long Seed { get; init; } = 1024;
    /// <summary>"cpu", "cuda", "cuda:N" or "auto".</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Extra plugin folders the recipe needs (absolute paths; written relative ones are resolved against the recipe's folder).</summary>
    public IReadOnlyList<string> PluginFolders { get; init; } = [];
    public required ComponentSpec Data { get; init; }
    public required ComponentSpec Latent { get; init; }
    public required ComponentSpec Diffusion { get; init; }
    public required ComponentSpec Generator { get; init; }
    /// <summary>D; null for a Gaussian diffusion model, which trains without one.</summary>
    public ComponentSpec? Discriminator { get; init; }
    /// <summary>The GAN loss schedule; null for a Gaussian diffusion model.</summary>
    public ComponentSpec? Loss { get; init; }
    public TrainingOptions Train { get; init; } = new();
    public SamplingOptions Sample { get; init; } = new();
    public OutputOptions Output { get; init; } = new();
    public RuntimeOptions Runtime { get; init; } = new();
    /// <summary>Where the recipe was read from (not serialised).</summary>
    public string? SourcePath { get; init; }

    /// <summary>T, the number of diffusion steps, as the [diffusion] options fix it (the loader checks they declare it).</summary>
    public int NumTimesteps => ((IDiffusionProcessOptions)Diffusion.Options).NumTimesteps;

    /// <summary>Whether the model is a Gaussian diffusion model (DDPM family), trained by denoising and sampled by DDPM or DDIM.</summary>
    public bool IsGaussian => Diffusion.Options is IGaussianDiffusionOptions;

    /// <summary>The run directory this recipe writes to.</summary>
    public string RunDirectory => string.IsNullOrEmpty(Output.Dir) ? Path.Combine("runs", Name) : Output.Dir;

    public IEnumerable<(string Section, ComponentSpec Spec)> Components()
    {
        yield return ("data", Data);
        yield return ("latent", Latent);
        yield return ("diffusion", Diffusion);
        yield return ("generator", Generator);
        if (Discriminator is not null) yield return ("discriminator", Discriminator);
        if (Loss is not null) yield return ("loss", Loss);
    }

    /// <summary>The fully resolved recipe as TOML (all defaults written out).</summary>
    public string ToToml(string? header = null) =>
        TomlWriter.Recipe(header, Name, Seed, Device, PluginFolders, Components(), [("train", Train), ("sample", Sample), ("output", Output), ("runtime", Runtime)]);
}
