using LddGan.Abstractions;
using LddGan.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Plugins.Ddgan;

/// <summary>
/// The time-conditional discriminator for small inputs (<c>discriminator.Discriminator_small</c>, CIFAR-10 32×32):
/// start_conv 1×1 (nc → 2ngf); conv1 (2ngf → 2ngf); conv2 (→ 4ngf, ↓2); conv3 (→ 8ngf, ↓2); conv4 (8ngf, ↓2, only
/// when num_layers = 4); minibatch stddev; final_conv 3×3 (8ngf+1 → 8ngf, near-zero init); LReLU; sum over positions;
/// end_linear (8ngf → 1). D(x_t, t, x_{t+1}) sees cat([x_t, x_{t+1}]).
/// </summary>
public sealed class SmallDiscriminator : Discriminator
{
#pragma warning disable IDE1006 // official state-dict names
    private readonly TimestepEmbedding t_embed;
    private readonly Conv2d start_conv;
    private readonly DownConvBlock conv1;
    private readonly DownConvBlock conv2;
    private readonly DownConvBlock conv3;
    private readonly DownConvBlock? conv4;
    private readonly Conv2d final_conv;
    private readonly Linear end_linear;
    private readonly MinibatchStddev stddev;
#pragma warning restore IDE1006
    private readonly DownConvBlock[] _blocks;

    /// <summary>Channels of the concatenated input, 2·C.</summary>
    public long InputChannels { get; }

    /// <param name="options">ngf, t_emb_dim, num_layers (3 or 4).</param>
    /// <param name="nc">Channels of cat([x, x_cond]) = 2·C.</param>
    public SmallDiscriminator(SmallDiscriminatorOptions options, long nc) : base(nameof(SmallDiscriminator))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid("ddgan-small");
        if (nc < 1) throw new ArgumentOutOfRangeException(nameof(nc), nc, "nc must be positive");
        InputChannels = nc;
        long ngf = options.Ngf, temb = options.TEmbDim;
        t_embed = new TimestepEmbedding(options.TEmbDim, options.TEmbDim, options.TEmbDim, DiscriminatorHead.NegativeSlope);
        start_conv = DenseLayerInit.Conv2d(nc, ngf * 2, 1, padding: 0);
        conv1 = new DownConvBlock(ngf * 2, ngf * 2, temb);
        conv2 = new DownConvBlock(ngf * 2, ngf * 4, temb, downsample: true);
        conv3 = new DownConvBlock(ngf * 4, ngf * 8, temb, downsample: true);
        if (options.NumLayers >= 4)
            conv4 = new DownConvBlock(ngf * 8, ngf * 8, temb, downsample: true);
        final_conv = DenseLayerInit.Conv2d(ngf * 8 + 1, ngf * 8, 3, padding: 1, initScale: 0.0);
        end_linear = DenseLayerInit.Dense(ngf * 8, 1);
        stddev = new MinibatchStddev(groupSize: 4, numFeatures: 1);
        _blocks = conv4 is null ? [conv1, conv2, conv3] : [conv1, conv2, conv3, conv4];
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
        var h = start_conv.call(DiscriminatorHead.Input(x, xCond, InputChannels, "ddgan-small"));
        foreach (var block in _blocks)
            h = block.call(h, tEmb);
        return DiscriminatorHead.Logits(h, stddev, final_conv, end_linear).MoveToOuterDisposeScope();
    }
}
