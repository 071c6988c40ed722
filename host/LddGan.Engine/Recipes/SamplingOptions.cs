using LddGan.Abstractions;

namespace LddGan.Engine.Recipes;

/// <summary>The <c>[sample]</c> section: defaults for <c>lddgan sample</c>.</summary>
public sealed record SamplingOptions : IValidatableOptions
{
    /// <summary>Number of samples <c>lddgan sample</c> writes by default.</summary>
    public int N { get; init; } = 64;
    /// <summary>Grid columns (0: square-ish).</summary>
    public int Columns { get; init; }
    /// <summary>Samples generated per batch.</summary>
    public int BatchSize { get; init; } = 100;
    /// <summary>Seed of the sampling noise (0: the recipe seed).</summary>
    public long Seed { get; init; }
    /// <summary>Gaussian diffusion only: <c>ancestral</c> (DDPM, every step) or <c>ddim</c> (Song et al. 2021).</summary>
    public string Sampler { get; init; } = "ancestral";
    /// <summary>Gaussian diffusion only: network steps, evenly spaced over T (0: all T; the ancestral sampler always takes T).</summary>
    public int Steps { get; init; }
    /// <summary>Gaussian diffusion only: DDIM's η (0: deterministic; 1: the ancestral posterior's noise).</summary>
    public double Eta { get; init; }
    /// <summary>Class-conditional models: classifier-free guidance scale s in ε = ε(∅) + s·(ε(y) − ε(∅)); 1: plain conditional.</summary>
    public double GuidanceScale { get; init; } = 1.0;

    /// <summary>The Gaussian sampler these options choose.</summary>
    public Diffusion.GaussianSamplerSettings GaussianSampler => new(Sampler, Steps, Eta, GuidanceScale);

    public IEnumerable<string> Validate()
    {
        if (Sampler is not ("ancestral" or "ddim")) yield return $"sampler must be \"ancestral\" or \"ddim\", not \"{Sampler}\"";
        if (Steps < 0) yield return "steps must be non-negative (0: all T steps)";
        if (!(Eta >= 0) || Eta > 1) yield return "eta must lie in [0, 1]";
        if (!double.IsFinite(GuidanceScale) || GuidanceScale < 0) yield return "guidance_scale must be a non-negative number";
        if (N < 1) yield return "n must be at least 1";
        if (Columns < 0) yield return "columns must be non-negative";
        if (BatchSize < 1) yield return "batch_size must be at least 1";
    }
}

/// <summary>The <c>[output]</c> section.</summary>
public sealed record OutputOptions : IValidatableOptions
{
    /// <summary>Run directory; relative paths are relative to the current directory. Empty: runs/&lt;name&gt;.</summary>
    public string Dir { get; init; } = "";

    public IEnumerable<string> Validate() { yield break; }
}
