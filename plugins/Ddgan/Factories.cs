using LddGan.Abstractions;
using LddGan.Layers;
using TorchSharp;

namespace LddGan.Plugins.Ddgan;

/// <summary>Registers <see cref="NcsnppGenerator"/> as the denoiser <c>ncsnpp</c>.</summary>
[Component(ComponentKind.Denoiser, "ncsnpp",
    Description = "DDGAN generator: NCSN++ U-Net with AdaGN, FIR resampling and a z mapping network (official CIFAR-10 defaults)")]
public sealed class NcsnppFactory : ComponentFactory<NcsnppOptions, NcsnppGenerator>
{
    public override NcsnppGenerator Create(NcsnppOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var model = NcsnppGenerator.ForShape(options, context.LatentShape);
        return Placement.MoveTo(model, context);
    }
}

/// <summary>Registers <see cref="SmallDiscriminator"/> as the discriminator <c>ddgan-small</c>.</summary>
[Component(ComponentKind.Discriminator, "ddgan-small",
    Description = "DDGAN time-conditional discriminator for small inputs (Discriminator_small; 32x32 and below)")]
public sealed class SmallDiscriminatorFactory : ComponentFactory<SmallDiscriminatorOptions, SmallDiscriminator>
{
    public override SmallDiscriminator Create(SmallDiscriminatorOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var shape = Placement.RequireImage(context.LatentShape, "ddgan-small");
        var model = new SmallDiscriminator(options, 2L * shape.Channels);
        return Placement.MoveTo(model, context);
    }
}

/// <summary>Registers <see cref="LargeDiscriminator"/> as the discriminator <c>ddgan-large</c>.</summary>
[Component(ComponentKind.Discriminator, "ddgan-large",
    Description = "DDGAN time-conditional discriminator for large inputs (Discriminator_large; 64 px and above)")]
public sealed class LargeDiscriminatorFactory : ComponentFactory<LargeDiscriminatorOptions, LargeDiscriminator>
{
    public override LargeDiscriminator Create(LargeDiscriminatorOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var shape = Placement.RequireImage(context.LatentShape, "ddgan-large");
        var side = 1 << options.NumLayers;
        if (shape.Height % side != 0 || shape.Width % side != 0)
            throw new ArgumentException(
                $"ddgan-large with num_layers = {options.NumLayers} halves the resolution {options.NumLayers} times; " +
                $"the latent size {shape.Height}x{shape.Width} must be divisible by {side}");
        var model = new LargeDiscriminator(options, 2L * shape.Channels);
        return Placement.MoveTo(model, context);
    }
}

/// <summary>Registers <see cref="ConvDiscriminator"/> as the discriminator <c>conv-small</c>.</summary>
[Component(ComponentKind.Discriminator, "conv-small",
    Description = "Small time-conditional DCGAN-style discriminator (BatchNorm, strided 4x4 convs) for CPU-sized runs; not from the papers")]
public sealed class ConvDiscriminatorFactory : ComponentFactory<ConvDiscriminatorOptions, ConvDiscriminator>
{
    public override ConvDiscriminator Create(ConvDiscriminatorOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var shape = Placement.RequireImage(context.LatentShape, "conv-small");
        return Placement.MoveTo(new ConvDiscriminator(options, shape, context.NumTimesteps), context);
    }
}

/// <summary>Registers <see cref="ToyMlpGenerator"/> as the denoiser <c>toy-mlp</c>.</summary>
[Component(ComponentKind.Denoiser, "toy-mlp",
    Description = "MLP generator for 2-D toy data (25 Gaussians): x0 = MLP([x_{t+1}, z, time embedding])")]
public sealed class ToyMlpGeneratorFactory : ComponentFactory<ToyMlpGeneratorOptions, ToyMlpGenerator>
{
    public override ToyMlpGenerator Create(ToyMlpGeneratorOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var model = new ToyMlpGenerator(options, Placement.RequireVector(context.LatentShape, "toy-mlp denoiser"));
        return Placement.MoveTo(model, context);
    }
}

/// <summary>Registers <see cref="ToyMlpDiscriminator"/> as the discriminator <c>toy-mlp</c>.</summary>
[Component(ComponentKind.Discriminator, "toy-mlp",
    Description = "MLP discriminator for 2-D toy data: logit = MLP([x_t, x_{t+1}, time embedding])")]
public sealed class ToyMlpDiscriminatorFactory : ComponentFactory<ToyMlpDiscriminatorOptions, ToyMlpDiscriminator>
{
    public override ToyMlpDiscriminator Create(ToyMlpDiscriminatorOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var model = new ToyMlpDiscriminator(options, Placement.RequireVector(context.LatentShape, "toy-mlp discriminator"));
        return Placement.MoveTo(model, context);
    }
}
