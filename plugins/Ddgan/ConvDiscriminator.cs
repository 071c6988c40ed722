using LddGan.Abstractions;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Plugins.Ddgan;

/// <summary>
/// A small time-conditional discriminator for CPU-sized runs; it is <b>not</b> from the DDGAN papers. DCGAN's recipe
/// (Radford et al. 2016): strided 4×4 convolutions that halve the resolution num_layers times, BatchNorm after every
/// convolution but the first, LReLU(0.2), and a linear layer over the flattened last feature map. The step t enters
/// as a learned per-channel bias after the first convolution; the input is cat([x_t, x_{t+1}]) as in the official
/// discriminators. Measured on Fashion-MNIST (docs/quality-experiments.md), it teaches an NCSN++ generator garments
/// within 1,000 steps, where ddgan-small and ddgan-large at the width a CPU affords (ngf 16) teach it only blobs or
/// rough shapes.
/// </summary>
public sealed class ConvDiscriminator : Discriminator
{
#pragma warning disable IDE1006 // snake_case like the official modules
    private readonly Conv2d start_conv;
    private readonly Embedding t_bias;
    private readonly Sequential blocks;
    private readonly Linear end_linear;
#pragma warning restore IDE1006

    /// <summary>Channels of the concatenated input, 2·C.</summary>
    public long InputChannels { get; }

    /// <param name="options">ch, num_layers.</param>
    /// <param name="shape">The latent shape (C, H, W); H and W must be divisible by 2^num_layers.</param>
    /// <param name="numTimesteps">T: one learned bias per step.</param>
    public ConvDiscriminator(ConvDiscriminatorOptions options, SampleShape shape, int numTimesteps) : base(nameof(ConvDiscriminator))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid(shape);
        InputChannels = 2L * shape.Channels;
        long ch = options.Ch;
        start_conv = nn.Conv2d(InputChannels, ch, 4, stride: 2, padding: 1);
        t_bias = nn.Embedding(numTimesteps, ch);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)> { ("act0", nn.LeakyReLU(0.2)) };
        for (int i = 1; i < options.NumLayers; i++)
        {
            layers.Add(($"conv{i}", nn.Conv2d(ch, ch * 2, 4, stride: 2, padding: 1, bias: false)));
            layers.Add(($"norm{i}", nn.BatchNorm2d(ch * 2)));
            layers.Add(($"act{i}", nn.LeakyReLU(0.2)));
            ch *= 2;
        }
        blocks = nn.Sequential(layers);
        long side = 1L << options.NumLayers;
        end_linear = nn.Linear(ch * (shape.Height / side) * (shape.Width / side), 1);
        RegisterComponents();
    }

    /// <param name="x">The less noisy sample x_t, (B, C, H, W).</param>
    /// <param name="t">Step indices, int64 (B).</param>
    /// <param name="xCond">The condition x_{t+1}, (B, C, H, W).</param>
    /// <returns>Logits, (B, 1).</returns>
    public override Tensor forward(Tensor x, Tensor t, Tensor xCond)
    {
        using var scope = NewDisposeScope();
        var h = start_conv.call(DiscriminatorHead.Input(x, xCond, InputChannels, "conv-small"));
        h = h + t_bias.call(t).unsqueeze(2).unsqueeze(3);
        return end_linear.call(blocks.call(h).flatten(1)).MoveToOuterDisposeScope();
    }
}

/// <summary>Options of <see cref="ConvDiscriminator"/> (<c>conv-small</c>).</summary>
public sealed record ConvDiscriminatorOptions : IValidatableOptions
{
    /// <summary>Channels of the first convolution; each further layer doubles them.</summary>
    public int Ch { get; init; } = 64;

    /// <summary>Strided convolutions, each halving the resolution (3: 32 → 16 → 8 → 4).</summary>
    public int NumLayers { get; init; } = 3;

    public IEnumerable<string> Validate()
    {
        if (Ch < 1) yield return $"ch must be a positive integer, got {Ch}";
        if (NumLayers is < 1 or > 6) yield return $"num_layers must lie in [1, 6], got {NumLayers}";
    }

    internal void ThrowIfInvalid(SampleShape shape)
    {
        var errors = Validate().ToList();
        long side = 1L << Math.Clamp(NumLayers, 1, 6);
        if (shape.IsVector || shape.Height % side != 0 || shape.Width % side != 0)
            errors.Add($"the latent shape {shape} must be an image whose sides divide by 2^num_layers = {side}");
        if (errors.Count > 0)
            throw new ArgumentException("invalid conv-small options: " + string.Join("; ", errors));
    }
}
