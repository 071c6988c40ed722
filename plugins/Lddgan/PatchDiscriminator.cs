using LddGan.Abstractions;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Plugins.Lddgan;

/// <summary>Options of the patch discriminator used to train the autoencoder.</summary>
public sealed record PatchDiscriminatorOptions : IValidatableOptions
{
    /// <summary>Filters of the first layer (<c>disc_ndf</c>); later layers double it, up to 8×.</summary>
    public int Ndf { get; init; } = 64;

    /// <summary>Stride-2 layers (<c>disc_num_layers</c>); each halves the resolution.</summary>
    public int NumLayers { get; init; } = 3;

    public IEnumerable<string> Validate()
    {
        if (Ndf < 1) yield return $"ndf must be positive, got {Ndf}";
        if (NumLayers < 1) yield return $"num_layers must be at least 1, got {NumLayers}";
    }
}

/// <summary>
/// VQGAN's patch discriminator (taming's <c>NLayerDiscriminator</c>, the pix2pix PatchGAN with BatchNorm): 4×4 convolutions,
/// the first <c>num_layers</c> with stride 2, LeakyReLU(0.2), then a stride-1 layer and a 1-channel stride-1 output: one logit
/// per overlapping patch. Convolutions start from N(0, 0.02), BatchNorm weights from N(1, 0.02) (taming's <c>weights_init</c>).
/// Keys: <c>main.{i}.*</c> as in the reference's <c>nn.Sequential</c>.
/// </summary>
public sealed class PatchDiscriminator : ImageDiscriminator
{
    private readonly Sequential main;

    public PatchDiscriminator(PatchDiscriminatorOptions options, long inChannels) : base(nameof(PatchDiscriminator))
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new ArgumentException("invalid patch-gan options: " + string.Join("; ", errors));
        var layers = new List<nn.Module<Tensor, Tensor>>();
        layers.Add(Conv(inChannels, options.Ndf, stride: 2, bias: true));
        layers.Add(nn.LeakyReLU(0.2));
        long multiplier = 1;
        for (var n = 1; n <= options.NumLayers; n++)
        {
            var previous = multiplier;
            multiplier = Math.Min(1L << n, 8);
            layers.Add(Conv(options.Ndf * previous, options.Ndf * multiplier, stride: n < options.NumLayers ? 2 : 1, bias: false));
            layers.Add(Norm(options.Ndf * multiplier));
            layers.Add(nn.LeakyReLU(0.2));
        }
        layers.Add(Conv(options.Ndf * multiplier, 1, stride: 1, bias: true));
        main = nn.Sequential(layers.Select((m, i) => (i.ToString(), m)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor images) => main.call(images);

    private static Conv2d Conv(long inChannels, long outChannels, long stride, bool bias)
    {
        var conv = nn.Conv2d(inChannels, outChannels, 4, stride: stride, padding: 1, bias: bias);
        // taming's weights_init draws the weights only; biases keep PyTorch's default, as TorchSharp's.
        using (no_grad()) nn.init.normal_(conv.weight!, 0.0, 0.02);
        return conv;
    }

    private static BatchNorm2d Norm(long channels)
    {
        var norm = nn.BatchNorm2d(channels);
        using (no_grad())
        {
            nn.init.normal_(norm.weight!, 1.0, 0.02);
            norm.bias!.zero_();
        }
        return norm;
    }
}
