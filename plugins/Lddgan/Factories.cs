using LddGan.Abstractions;
using LddGan.Layers;

namespace LddGan.Plugins.Lddgan;

/// <summary>Registers <see cref="VqAutoencoder"/> as the autoencoder <c>vq-autoencoder</c>.</summary>
[Component(ComponentKind.Autoencoder, "vq-autoencoder",
    Description = "LDDGAN first stage: LDM/taming VQ autoencoder (encoder, codebook, decoder); the GAN models quant_conv(encoder(x))")]
public sealed class VqAutoencoderFactory : ComponentFactory<VqAutoencoderOptions, VqAutoencoder>
{
    public override VqAutoencoder Create(VqAutoencoderOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Placement.MoveTo(new VqAutoencoder(options, context.DataShape), context);
    }
}

/// <summary>Registers <see cref="PatchDiscriminator"/> as the image discriminator <c>patch-gan</c>.</summary>
[Component(ComponentKind.ImageDiscriminator, "patch-gan",
    Description = "VQGAN's PatchGAN discriminator (NLayerDiscriminator with BatchNorm) for autoencoder training")]
public sealed class PatchDiscriminatorFactory : ComponentFactory<PatchDiscriminatorOptions, PatchDiscriminator>
{
    public override PatchDiscriminator Create(PatchDiscriminatorOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.DataShape.IsVector) throw new ArgumentException($"patch-gan needs images, got {context.DataShape}");
        return Placement.MoveTo(new PatchDiscriminator(options, context.DataShape.Channels), context);
    }
}
