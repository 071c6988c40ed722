using LddGan.Abstractions;
using LddGan.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Plugins.Ddgan;

/// <summary>
/// The time-conditional discriminator for large inputs (<c>discriminator.Discriminator_large</c>, 256 px):
/// start_conv 1×1 (nc → 2ngf); conv1 (→ 4ngf, ↓2); conv2 (→ 8ngf, ↓2); conv3..conv6 (8ngf, ↓2 each; conv4–conv6
/// only up to num_layers); minibatch stddev; final_conv 3×3 (8ngf+1 → 8ngf, default init); LReLU; sum over positions;
/// end_linear (8ngf → 1). Every block halves the resolution, so the input side must be divisible by 2^num_layers.
/// </summary>
public sealed class LargeDiscriminator : Discriminator
{
#pragma warning disable IDE1006 // official state-dict names
    private readonly TimestepEmbedding t_embed;
    private readonly Conv2d start_conv;
    private readonly DownConvBlock conv1;
    private readonly DownConvBlock conv2;
    private readonly DownConvBlock conv3;
    private readonly DownConvBlock? conv4;
    private readonly DownConvBlock? conv5;
    private readonly DownConvBlock? conv6;
    private readonly Conv2d final_conv;
    private readonly Linear end_linear;
    private readonly MinibatchStddev stddev;
#pragma warning restore IDE1006
    private readonly DownConvBlock[] _blocks;

    /// <summary>Channels of the concatenated input, 2·C.</summary>
    public long InputChannels { get; }

    /// <param name="options">ngf, t_emb_dim, num_layers (3 to 6).</param>
    /// <param name="nc">Channels of cat([x, x_cond]) = 2·C.</param>
    public LargeDiscriminator(LargeDiscriminatorOptions options, long nc) : base(nameof(LargeDiscriminator))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid("ddgan-large");
        if (nc < 1) throw new ArgumentOutOfRangeException(nameof(nc), nc, "nc must be positive");
        InputChannels = nc;
        long ngf = options.Ngf, temb = options.TEmbDim;
        t_embed = new TimestepEmbedding(options.TEmbDim, options.TEmbDim, options.TEmbDim, DiscriminatorHead.NegativeSlope);
        start_conv = DenseLayerInit.Conv2d(nc, ngf * 2, 1, padding: 0);
        conv1 = new DownConvBlock(ngf * 2, ngf * 4, temb, downsample: true);
        conv2 = new DownConvBlock(ngf * 4, ngf * 8, temb, downsample: true);
        conv3 = new DownConvBlock(ngf * 8, ngf * 8, temb, downsample: true);
        if (options.NumLayers >= 4) conv4 = new DownConvBlock(ngf * 8, ngf * 8, temb, downsample: true);
        if (options.NumLayers >= 5) conv5 = new DownConvBlock(ngf * 8, ngf * 8, temb, downsample: true);
        if (options.NumLayers >= 6) conv6 = new DownConvBlock(ngf * 8, ngf * 8, temb, downsample: true);
        final_conv = DenseLayerInit.Conv2d(ngf * 8 + 1, ngf * 8, 3, padding: 1);
        end_linear = DenseLayerInit.Dense(ngf * 8, 1);
        stddev = new MinibatchStddev(groupSize: 4, numFeatures: 1);
        _blocks = new[] { conv1, conv2, conv3, conv4, conv5, conv6 }.OfType<DownConvBlock>().ToArray();
        RegisterComponents();
    }

    /// <param name="x">The less noisy sample x_t, (B, C, H, W).</param>
    /// <param name="t">Step indices, int64 (B).</param>
    /// <param name="xCond">The condition x_{t+1}, (B, C, H, W).</param>
    /// <returns>Logits, (B, 1).</returns>
    public override Tensor forward(Tensor x, Tensor t, Tensor xCond)
    {
        using var scope = NewDisposeScope();
        var tEmb = DiscriminatorHead.TimeEmbedding(t_embed, t);
        var h = start_conv.call(DiscriminatorHead.Input(x, xCond, InputChannels, "ddgan-large"));
        foreach (var block in _blocks)
            h = block.call(h, tEmb);
        return DiscriminatorHead.Logits(h, stddev, final_conv, end_linear).MoveToOuterDisposeScope();
    }
}
