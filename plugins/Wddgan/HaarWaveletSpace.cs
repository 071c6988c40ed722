using LddGan.Abstractions;
using LddGan.Layers;
using static TorchSharp.torch;

namespace LddGan.Plugins.Wddgan;

/// <summary>
/// WDDGAN's space: one level of the Haar transform, (C, H, W) images ↔ (4C, H/2, W/2) bands, every band divided by 2
/// so it lies in [−1, 1] as the reference asserts (4× fewer positions for the diffusion GAN). Decoding multiplies by 2,
/// inverts the transform and clamps to [−1, 1], as the reference sampler does.
/// </summary>
public sealed class HaarWaveletSpace(HaarWaveletOptions options) : ILatentSpace
{
    public HaarWaveletOptions Options { get; } = options;

    public SampleShape LatentShape(SampleShape dataShape)
    {
        if (dataShape.IsVector || dataShape.Height % 2 != 0 || dataShape.Width % 2 != 0)
            throw new ArgumentException($"the haar latent space needs images with even height and width, got {dataShape}");
        return new SampleShape(4 * dataShape.Channels, dataShape.Height / 2, dataShape.Width / 2);
    }

    public Tensor Encode(Tensor data)
    {
        using var scope = NewDisposeScope();
        return (HaarWavelet.Forward(data, Options.Order) * 0.5).MoveToOuterDisposeScope();
    }

    public Tensor Decode(Tensor latent)
    {
        using var scope = NewDisposeScope();
        return HaarWavelet.Inverse(latent * 2.0, Options.Order).clamp(-1.0, 1.0).MoveToOuterDisposeScope();
    }

    public void MoveTo(Device device) { }
    public void Dispose() { }
}

/// <summary>Options of the <c>haar</c> latent space.</summary>
public sealed record HaarWaveletOptions : IValidatableOptions
{
    /// <summary>
    /// Channel order of the two middle bands: <c>pytorch_wavelets</c> (the reference's default and its CIFAR-10, STL-10,
    /// CelebA-HQ 512 and LSUN checkpoints) or <c>wave_cnet</c> (its CelebA-HQ 256 and 1024 checkpoints).
    /// </summary>
    public string BandOrder { get; init; } = "pytorch_wavelets";

    internal HaarBandOrder Order => BandOrder == "wave_cnet" ? HaarBandOrder.WaveCnet : HaarBandOrder.PytorchWavelets;

    public IEnumerable<string> Validate()
    {
        if (BandOrder is not ("pytorch_wavelets" or "wave_cnet"))
            yield return $"band_order must be \"pytorch_wavelets\" or \"wave_cnet\", not \"{BandOrder}\"";
    }
}

[Component(ComponentKind.LatentSpace, "haar",
    Description = "WDDGAN: one-level Haar wavelet bands (4C x H/2 x W/2), divided by 2; decoding inverts and clamps")]
public sealed class HaarWaveletSpaceFactory : ComponentFactory<HaarWaveletOptions, HaarWaveletSpace>
{
    public override HaarWaveletSpace Create(HaarWaveletOptions options, ComponentContext context)
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new ArgumentException("invalid [latent] options for haar: " + string.Join("; ", errors));
        return new HaarWaveletSpace(options);
    }
}
