using LddGan.Abstractions;
using TorchSharp;

namespace LddGan.Samples.UVit;

/// <summary>
/// Registers <see cref="UVitGenerator"/> as the denoiser <c>uvit</c>: a recipe selects it with
/// <c>[generator] type = "uvit"</c>. The host finds it by the attribute when it loads the plugin folder.
/// </summary>
[Component(ComponentKind.Denoiser, ComponentName,
    Description = "U-ViT generator (ViT U-Net: time token, long skips) with AdaGN on z, as in LDDGAN appendix C (sample plugin)",
    Version = "1.0.0")]   // keep in step with <Version> in the .csproj
public sealed class UVitFactory : ComponentFactory<UVitOptions, UVitGenerator>
{
    /// <summary>The name recipes use for this component.</summary>
    public const string ComponentName = "uvit";

    public override UVitGenerator Create(UVitOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        // Built on the CPU, where the initialisers run, then moved to the run's device.
        var model = new UVitGenerator(options, context.LatentShape);
        if (context.Device.type != DeviceType.CPU)
            model.to(context.Device);
        return model;
    }
}
