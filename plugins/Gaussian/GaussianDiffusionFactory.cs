using LddGan.Abstractions;

namespace LddGan.Plugins.Gaussian;

/// <summary>Builds the DDPM forward process from <c>[diffusion]</c> options.</summary>
[Component(ComponentKind.DiffusionProcess, "ddpm",
    Description = "Gaussian diffusion (DDPM): T small steps, linear or cosine betas; trained by denoising, sampled by DDPM or DDIM.")]
public sealed class GaussianDiffusionFactory : ComponentFactory<GaussianDiffusionOptions, GaussianDiffusionProcess>
{
    public override GaussianDiffusionProcess Create(GaussianDiffusionOptions options, ComponentContext context) =>
        new(options, context.Device);
}
