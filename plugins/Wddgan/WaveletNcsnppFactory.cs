using LddGan.Abstractions;
using LddGan.Layers;

namespace LddGan.Plugins.Wddgan;

/// <summary>Registers <see cref="WaveletNcsnppGenerator"/> as the denoiser <c>wavelet-ncsnpp</c>.</summary>
[Component(ComponentKind.Denoiser, "wavelet-ncsnpp",
    Description = "WDDGAN generator (net_type wavelet): NCSN++ with frequency-aware down/up blocks, frequency bottleneck and wavelet input pyramid")]
public sealed class WaveletNcsnppFactory : ComponentFactory<WaveletNcsnppOptions, WaveletNcsnppGenerator>
{
    public override WaveletNcsnppGenerator Create(WaveletNcsnppOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Placement.MoveTo(WaveletNcsnppGenerator.ForShape(options, context.LatentShape), context);
    }
}
