using LddGan.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Plugins.Lddgan;

/// <summary>LDM's <c>Normalize</c>: GroupNorm with 32 groups, eps 1e-6, affine.</summary>
internal static class LdmNorm
{
    public static GroupNorm Create(long channels) => GroupNorms.Affine(32, channels, eps: 1e-6);
}

/// <summary>
/// The autoencoder's residual block (<c>ldm.modules.diffusionmodules.model.ResnetBlock</c>, no time embedding):
/// h = conv2(dropout(swish(norm2(conv1(swish(norm1(x))))))); out = nin_shortcut(x) + h (1×1 shortcut only when the
/// channel count changes; no rescaling). PyTorch's default initialisation.
/// </summary>
public sealed class LdmResnetBlock : nn.Module<Tensor, Tensor>
{
    private readonly GroupNorm norm1;
    private readonly Conv2d conv1;
    private readonly GroupNorm norm2;
    private readonly Dropout dropout;
    private readonly Conv2d conv2;
    private readonly Conv2d? nin_shortcut;

    public long OutChannels { get; }

    public LdmResnetBlock(long inChannels, long outChannels, double dropoutRate) : base(nameof(LdmResnetBlock))
    {
        OutChannels = outChannels;
        norm1 = LdmNorm.Create(inChannels);
        conv1 = nn.Conv2d(inChannels, outChannels, 3, padding: 1);
        norm2 = LdmNorm.Create(outChannels);
        dropout = nn.Dropout(dropoutRate);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1);
        if (inChannels != outChannels)
            nin_shortcut = nn.Conv2d(inChannels, outChannels, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = conv1.call(nn.functional.silu(norm1.call(x)));
        h = conv2.call(dropout.call(nn.functional.silu(norm2.call(h))));
        var skip = nin_shortcut is null ? x : nin_shortcut.call(x);
        return (skip + h).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The autoencoder's single-head self-attention (<c>AttnBlock</c>, "vanilla"): 1×1 convolutions q, k, v and proj_out
/// after a GroupNorm; softmax over all key positions of q·k / √C; out = x + proj_out(attention).
/// </summary>
public sealed class LdmAttnBlock : nn.Module<Tensor, Tensor>
{
    private readonly GroupNorm norm;
    private readonly Conv2d q;
    private readonly Conv2d k;
    private readonly Conv2d v;
    private readonly Conv2d proj_out;

    public LdmAttnBlock(long channels) : base(nameof(LdmAttnBlock))
    {
        norm = LdmNorm.Create(channels);
        q = nn.Conv2d(channels, channels, 1);
        k = nn.Conv2d(channels, channels, 1);
        v = nn.Conv2d(channels, channels, 1);
        proj_out = nn.Conv2d(channels, channels, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = norm.call(x);
        long b = x.shape[0], c = x.shape[1], height = x.shape[2], width = x.shape[3];
        var queries = q.call(h).reshape(b, c, height * width).permute(0, 2, 1);     // (B, HW, C)
        var keys = k.call(h).reshape(b, c, height * width);                          // (B, C, HW)
        var weights = nn.functional.softmax(bmm(queries, keys) * Math.Pow(c, -0.5), 2);  // (B, HW_q, HW_k)
        var values = v.call(h).reshape(b, c, height * width);                        // (B, C, HW)
        var attended = bmm(values, weights.permute(0, 2, 1)).reshape(b, c, height, width);
        return (x + proj_out.call(attended)).MoveToOuterDisposeScope();
    }
}

/// <summary>LDM's <c>Downsample</c> with conv: pad (0, 1, 0, 1) with zeros, then a 3×3 stride-2 convolution.</summary>
public sealed class LdmDownsample : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    public LdmDownsample(long channels) : base(nameof(LdmDownsample))
    {
        conv = nn.Conv2d(channels, channels, 3, stride: 2, padding: 0L);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var padded = nn.functional.pad(x, [0, 1, 0, 1]);
        return conv.call(padded);
    }
}

/// <summary>LDM's <c>Upsample</c> with conv: nearest-neighbour ×2, then a 3×3 convolution.</summary>
public sealed class LdmUpsample : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    public LdmUpsample(long channels) : base(nameof(LdmUpsample))
    {
        conv = nn.Conv2d(channels, channels, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var upsampled = nn.functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return conv.call(upsampled);
    }
}

/// <summary>One resolution level of the encoder or decoder: <c>block</c>, <c>attn</c> and the optional resampling layer.</summary>
internal sealed class LdmLevel : nn.Module
{
    public readonly ModuleList<LdmResnetBlock> block;
    public readonly ModuleList<LdmAttnBlock> attn;
    public readonly LdmDownsample? downsample;
    public readonly LdmUpsample? upsample;

    public LdmLevel(IEnumerable<LdmResnetBlock> blocks, IEnumerable<LdmAttnBlock> attentions, LdmDownsample? down, LdmUpsample? up)
        : base(nameof(LdmLevel))
    {
        block = nn.ModuleList(blocks.ToArray());
        attn = nn.ModuleList(attentions.ToArray());
        downsample = down;
        upsample = up;
        RegisterComponents();
    }

    /// <summary>The level's residual blocks, each followed by its attention block when the level has them.</summary>
    public Tensor Blocks(Tensor h)
    {
        for (var i = 0; i < block.Count; i++)
        {
            var next = block[i].call(h);
            if (attn.Count > 0) next = attn[i].call(next);
            h = next;
        }
        return h;
    }
}

/// <summary>The middle of the encoder or decoder: <c>block_1</c>, <c>attn_1</c>, <c>block_2</c>.</summary>
internal sealed class LdmMiddle : nn.Module<Tensor, Tensor>
{
    private readonly LdmResnetBlock block_1;
    private readonly LdmAttnBlock attn_1;
    private readonly LdmResnetBlock block_2;

    public LdmMiddle(long channels, double dropout) : base(nameof(LdmMiddle))
    {
        block_1 = new LdmResnetBlock(channels, channels, dropout);
        attn_1 = new LdmAttnBlock(channels);
        block_2 = new LdmResnetBlock(channels, channels, dropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return block_2.call(attn_1.call(block_1.call(x))).MoveToOuterDisposeScope();
    }
}
