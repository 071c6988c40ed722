using LddGan.Abstractions;

namespace LddGan.Engine.Diffusion;

/// <summary>Builds the DDGAN variance-preserving diffusion process from <c>[diffusion]</c> options.</summary>
[Component(ComponentKind.DiffusionProcess, "vp",
    Description = "DDGAN forward process: VP schedule (beta_min..beta_max) discretised into T steps, Gaussian posterior.")]
public sealed class VpDiffusionFactory : ComponentFactory<DiffusionOptions, DiffusionGanProcess>
{
    public override DiffusionGanProcess Create(DiffusionOptions options, ComponentContext context) =>
        new(options, context.Device);
}
