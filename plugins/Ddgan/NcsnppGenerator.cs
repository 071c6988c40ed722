using LddGan.Abstractions;
using LddGan.Layers;

namespace LddGan.Plugins.Ddgan;

/// <summary>
/// The DDGAN generator: NCSN++ with adaptive group normalisation (<c>ncsnpp_generator_adagn.NCSNpp</c>), exactly the
/// <see cref="NcsnppGeneratorSkeleton{TOptions}"/>: FIR resampling blocks, the FIR-conv residual input pyramid and the
/// plain middle. G(x_{t+1}, t, z) → x_0 with the shape of x_{t+1}; state-dict keys are those of the official checkpoints.
/// </summary>
public sealed class NcsnppGenerator : NcsnppGeneratorSkeleton<NcsnppOptions>
{
    private const string Component = "ncsnpp";

    /// <param name="options">Validated network options.</param>
    /// <param name="channels">Channels of x (input and output).</param>
    /// <param name="imageSize">Side length of the square input.</param>
    public NcsnppGenerator(NcsnppOptions options, int channels, int imageSize)
        : base(nameof(NcsnppGenerator), Component, options, channels, imageSize)
    {
    }

    /// <summary>Builds the generator for a run: channels and image size from the latent shape (square images only).</summary>
    public static NcsnppGenerator ForShape(NcsnppOptions options, SampleShape shape)
    {
        var (channels, imageSize) = SquareImage(shape, Component);
        return new NcsnppGenerator(options, channels, imageSize);
    }
}
