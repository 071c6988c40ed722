using LddGan.Abstractions;
using LddGan.Layers;
using static TorchSharp.torch;

namespace LddGan.Plugins.Wddgan;

/// <summary>
/// WDDGAN's wavelet-embedded generator (<c>ncsnpp_generator_adagn.WaveletNCSNpp</c>): the NCSN++ of
/// <see cref="NcsnppGeneratorSkeleton{TOptions}"/> whose information flow goes through the Haar transform in three places
/// (Phung et al., 2023, §4.2), each one a hook the reference's ablation switches turn back into plain NCSN++:
/// <list type="number">
/// <item>frequency-aware down/up blocks (<see cref="WaveletResnetBlockBigGANppAdagn"/>): downsampling keeps LL and hands the
///   high bands to the matching up block, which rebuilds the high frequencies from them with a grouped 3×3 conv;</item>
/// <item>a frequency bottleneck: the middle blocks run on LL/2 and are transformed back, the second one first at full
///   resolution and then again, with the same weights, on the LL band of its own output;</item>
/// <item>a frequency residual input pyramid (<see cref="WaveletDownsample"/>).</item>
/// </list>
/// Module order and state-dict keys are those of the official <c>all_modules</c> / <c>z_transform</c>.
/// The reference's <c>patch_size</c> (CelebA-HQ 1024 only) is not implemented.
/// </summary>
public sealed class WaveletNcsnppGenerator : NcsnppGeneratorSkeleton<WaveletNcsnppOptions>
{
    private const string Component = "wavelet-ncsnpp";

    /// <param name="options">Validated network options.</param>
    /// <param name="channels">Channels of x (input and output), e.g. 12 for the Haar bands of RGB images.</param>
    /// <param name="imageSize">Side length of the square input (the reference's <c>current_resolution</c>).</param>
    public WaveletNcsnppGenerator(WaveletNcsnppOptions options, int channels, int imageSize)
        : base(nameof(WaveletNcsnppGenerator), Component, options, channels, imageSize)
    {
    }

    /// <summary>Builds the generator for a run: channels and size from the latent shape (square inputs only).</summary>
    public static WaveletNcsnppGenerator ForShape(WaveletNcsnppOptions options, SampleShape shape)
    {
        var (channels, imageSize) = SquareImage(shape, Component);
        return new WaveletNcsnppGenerator(options, channels, imageSize);
    }

    protected override string? MiddleHalving => Options.NoUseFbn ? null : "the frequency bottleneck";

    protected override nn.Module CreateDownsamplingBlock(long channels) => Options.NoUseFreq
        ? base.CreateDownsamplingBlock(channels)
        : new WaveletResnetBlockBigGANppAdagn(channels, null, BlockTimeEmbeddingDim, Options.ZEmbDim, Resampling.Down,
                                              dropout: Options.Dropout, skipRescale: Options.SkipRescale, initScale: 0.0);

    protected override nn.Module CreateUpsamplingBlock(long channels, long downChannels) => Options.NoUseFreq
        ? base.CreateUpsamplingBlock(channels, downChannels)
        : new WaveletResnetBlockBigGANppAdagn(channels, null, BlockTimeEmbeddingDim, Options.ZEmbDim, Resampling.Up,
                                              highInChannels: downChannels, dropout: Options.Dropout, skipRescale: Options.SkipRescale, initScale: 0.0);

    protected override nn.Module<Tensor, Tensor> CreatePyramidDownsample(long inChannels, long outChannels) => Options.NoUseResidual
        ? base.CreatePyramidDownsample(inChannels, outChannels)
        : new WaveletDownsample(inChannels, outChannels);

    /// <summary>The frequency bottleneck: both middle blocks see the LL band while the high bands pass around them.</summary>
    protected override Tensor RunMiddle(NcsnppMiddle middle, Tensor h, Tensor? temb, Tensor zemb)
    {
        if (Options.NoUseFbn) return base.RunMiddle(middle, h, temb, zemb);
        h = OnLowBand(middle.First, h, temb, zemb);
        h = middle.Attention.call(h);
        h = middle.Second.call(h, temb, zemb);
        return OnLowBand(middle.Second, h, temb, zemb);   // the same block again, on its own output's LL band
    }

    /// <summary>IDWT(2·block(LL/2), LH, HL, HH): the block works at half the resolution on the low band only.</summary>
    private static Tensor OnLowBand(ResnetBlockBigGANppAdagn block, Tensor h, Tensor? temb, Tensor zemb)
    {
        var (ll, lh, hl, hh) = HaarWavelet.Bands(h);
        var low = block.call(ll / 2.0, temb, zemb);
        return HaarWavelet.FromBands(low * 2.0, lh, hl, hh);
    }
}
