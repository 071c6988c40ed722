using LddGan.Abstractions;
using static TorchSharp.torch;

namespace LddGan.Engine.Latent;

/// <summary>
/// DDGAN's space: the data themselves. Decoding clamps images to [-1, 1], as saving an image would; vector data
/// (the 2-D toy) pass through unchanged, since their range is the dataset's own.
/// </summary>
public sealed class PixelSpace : ILatentSpace
{
    public SampleShape LatentShape(SampleShape dataShape) => dataShape;
    public Tensor Encode(Tensor data) => data.alias();
    public Tensor Decode(Tensor latent) => latent.dim() == 4 ? latent.clamp(-1.0, 1.0) : latent.alias();
    public void MoveTo(Device device) { }
    public void Dispose() { }
}

/// <summary>Options of <see cref="PixelSpace"/>: none.</summary>
public sealed record PixelSpaceOptions;

[Component(ComponentKind.LatentSpace, "pixel", Description = "Identity: diffusion runs on the data themselves (DDGAN); decoding clamps images to [-1, 1], vectors pass through.")]
public sealed class PixelSpaceFactory : ComponentFactory<PixelSpaceOptions, PixelSpace>
{
    public override PixelSpace Create(PixelSpaceOptions options, ComponentContext context) => new();
}
