using LddGan.Abstractions;
using TorchSharp;

namespace LddGanBackbone;

/// <summary>
/// Registers <see cref="TplBackboneDenoiser"/> as the denoiser <c>backbone-component-name</c>: a recipe selects it
/// with <c>[generator] type = "backbone-component-name"</c>. The host finds every non-abstract factory marked
/// with <see cref="ComponentAttribute"/>; component names must be unique per kind across all loaded plugins.
/// </summary>
[Component(ComponentKind.Denoiser, ComponentName,
    Description = "Compact AdaGN U-Net generator with a time embedding and a z mapping network (LddGanBackbone plugin)",
    Version = "1.0.0")]   // keep in step with <Version> in the .csproj
public sealed class TplBackboneFactory : ComponentFactory<TplBackboneOptions, TplBackboneDenoiser>
{
    /// <summary>The name recipes use for this component.</summary>
    public const string ComponentName = "backbone-component-name";

    public override TplBackboneDenoiser Create(TplBackboneOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        // Build on the CPU (where the initialisers run), then move to the run's device.
        var model = new TplBackboneDenoiser(options, context.LatentShape);
        if (context.Device.type != DeviceType.CPU)
            model.to(context.Device);
        return model;
    }
}
