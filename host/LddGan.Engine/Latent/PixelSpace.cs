using LddGan.Abstractions;
using static TorchSharp.torch;

namespace LddGan.Engine.Latent;

/// <summary>DDGAN's space: the pixels themselves, in [-1, 1]. Decoding clamps, as saving an image would.</summary>
public sealed class PixelSpace : ILatentSpace
{
    public SampleShape LatentShape(SampleShape dataShape) => dataShape;
    public Tensor Encode(Tensor data) => data.alias();
    public Tensor Decode(Tensor latent) => latent.clamp(-1.0, 1.0);
    public void MoveTo(Device device) { }
    public void Dispose() { }
}

/// <summary>Options of <see cref="PixelSpace"/>: none.</summary>
public sealed record PixelSpaceOptions;

[Component(ComponentKind.LatentSpace, "pixel", Description = "Identity: diffusion runs on pixels in [-1, 1] (DDGAN).")]
public sealed class PixelSpaceFactory : ComponentFactory<PixelSpaceOptions, PixelSpace>
{
    public override PixelSpace Create(PixelSpaceOptions options, ComponentContext context) => new();
}
