using LddGan.Abstractions;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Plugins.Lddgan;

/// <summary>
/// LDDGAN's first stage as a VQ model (LDM's <c>VQModel</c> / <c>VQModelInterface</c>): <c>encoder</c>, <c>decoder</c>,
/// <c>quantize</c>, <c>quant_conv</c> (1×1, z_channels → embed_dim) and <c>post_quant_conv</c> (1×1, embed_dim → z_channels).
/// The diffusion GAN models the continuous <c>quant_conv(encoder(x))</c>; quantisation happens only on the way back,
/// in <see cref="Decode"/> (reference-models §7.2).
/// </summary>
public sealed class VqAutoencoder : Autoencoder
{
    private readonly Encoder encoder;
    private readonly Decoder decoder;
    private readonly VectorQuantizer quantize;
    private readonly Conv2d quant_conv;
    private readonly Conv2d post_quant_conv;

    public VqAutoencoderOptions Options { get; }
    public SampleShape DataShape { get; }

    public VqAutoencoder(VqAutoencoderOptions options, SampleShape dataShape) : base(nameof(VqAutoencoder))
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new ArgumentException("invalid vq-autoencoder options: " + string.Join("; ", errors));
        if (dataShape.IsVector || dataShape.Height != dataShape.Width)
            throw new ArgumentException($"vq-autoencoder needs square images, got {dataShape}");
        if (dataShape.Height % options.Factor != 0)
            throw new ArgumentException($"the image size {dataShape.Height} must be divisible by the downsampling factor f = {options.Factor} (ch_mult has {options.ChMult.Length} levels)");
        Options = options;
        DataShape = dataShape;
        encoder = new Encoder(options, dataShape.Channels, dataShape.Height);
        decoder = new Decoder(options, dataShape.Channels, dataShape.Height);
        quantize = new VectorQuantizer(options.NEmbed, options.EmbedDim, options.Beta);
        quant_conv = nn.Conv2d(options.ZChannels, options.EmbedDim, 1);
        post_quant_conv = nn.Conv2d(options.EmbedDim, options.ZChannels, 1);
        RegisterComponents();
    }

    public override SampleShape LatentShape(SampleShape dataShape) =>
        new(Options.EmbedDim, dataShape.Height / Options.Factor, dataShape.Width / Options.Factor);

    public override Tensor Encode(Tensor images)
    {
        CheckImages(images);
        using var scope = NewDisposeScope();
        return quant_conv.call(encoder.call(images)).MoveToOuterDisposeScope();
    }

    public override Tensor Decode(Tensor latents)
    {
        using var scope = NewDisposeScope();
        var (quantized, _) = quantize.Quantize(latents);
        return decoder.call(post_quant_conv.call(quantized)).MoveToOuterDisposeScope();
    }

    public override AutoencoderOutput Reconstruct(Tensor images)
    {
        CheckImages(images);
        using var scope = NewDisposeScope();
        var (quantized, codebookLoss) = quantize.Quantize(quant_conv.call(encoder.call(images)));
        var reconstruction = decoder.call(post_quant_conv.call(quantized));
        return new AutoencoderOutput(reconstruction.MoveToOuterDisposeScope(), codebookLoss.MoveToOuterDisposeScope());
    }

    public override Parameter LastLayerWeight => decoder.LastLayerWeight;

    public override Tensor CodeIndices(Tensor images)
    {
        using var scope = NewDisposeScope();
        return quantize.NearestCodes(Encode(images)).MoveToOuterDisposeScope();
    }

    private void CheckImages(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != DataShape.Channels || images.shape[2] != DataShape.Height || images.shape[3] != DataShape.Width)
            throw new ArgumentException(
                $"vq-autoencoder expects images of shape (B, {DataShape.Channels}, {DataShape.Height}, {DataShape.Width}), got ({string.Join(", ", images.shape)})");
    }
}
