using LddGan.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Samples.UVit;

/// <summary>
/// A U-ViT transformer block with AdaGN instead of LayerNorm (U-ViT <c>libs/uvit.py</c> <c>Block</c>, LDDGAN appendix C):
/// <code>
/// x = skip_linear([x, skip])            only in the out blocks (long skip connection)
/// x = x + attn(AdaGN1(x, z_emb))
/// x = x + mlp(AdaGN2(x, z_emb))
/// </code>
/// State-dict keys follow U-ViT: <c>norm1.style.*</c>, <c>attn.qkv.*</c>, <c>attn.proj.*</c>, <c>norm2.style.*</c>,
/// <c>mlp.fc1.*</c>, <c>mlp.fc2.*</c>, <c>skip_linear.*</c>.
/// </summary>
public sealed class UVitBlock : nn.Module<Tensor, Tensor?, Tensor, Tensor>
{
#pragma warning disable IDE1006 // U-ViT's state-dict names
    private readonly AdaptiveGroupNorm norm1;
    private readonly Attention attn;
    private readonly AdaptiveGroupNorm norm2;
    private readonly Mlp mlp;
    private readonly Linear? skip_linear;
#pragma warning restore IDE1006

    /// <param name="dim">Token width D.</param>
    /// <param name="numHeads">Attention heads (divide D).</param>
    /// <param name="mlpRatio">MLP hidden width as a multiple of D.</param>
    /// <param name="qkvBias">Bias on the q/k/v projection.</param>
    /// <param name="zEmbDim">Width of the style vector that drives both norms.</param>
    /// <param name="skip">Whether this block fuses a long skip connection (the out blocks).</param>
    public UVitBlock(long dim, long numHeads, double mlpRatio, bool qkvBias, long zEmbDim, bool skip) : base(nameof(UVitBlock))
    {
        norm1 = new AdaptiveGroupNorm(AdaptiveGroupNorm.GroupCount(dim), dim, zEmbDim);
        attn = new Attention(dim, numHeads, qkvBias);
        norm2 = new AdaptiveGroupNorm(AdaptiveGroupNorm.GroupCount(dim), dim, zEmbDim);
        mlp = new Mlp(dim, (long)(dim * mlpRatio));
        skip_linear = skip ? VitInit.Linear(2 * dim, dim) : null;
        RegisterComponents();
    }

    /// <param name="x">Tokens, (B, L, D).</param>
    /// <param name="skip">The matching in block's output, (B, L, D); required exactly when the block was built with a skip.</param>
    /// <param name="zEmb">Style, (B, z_emb_dim).</param>
    public override Tensor forward(Tensor x, Tensor? skip, Tensor zEmb)
    {
        if ((skip is null) != (skip_linear is null))
            throw new ArgumentException(skip_linear is null
                ? "this U-ViT block has no skip_linear and takes no skip connection"
                : "this U-ViT block fuses a long skip connection; pass the matching in block's output");
        using var scope = NewDisposeScope();
        if (skip_linear is not null)
            x = skip_linear.call(cat([x, skip!], -1));
        x = x + attn.call(TokenNorm.Apply(norm1, x, zEmb));
        x = x + mlp.call(TokenNorm.Apply(norm2, x, zEmb));
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Multi-head self-attention over all tokens (U-ViT <c>Attention</c>): qkv = Linear(D → 3D), softmax(q·kᵀ/√d_h)·v per
/// head, then <c>proj</c>. Keys: <c>qkv.*</c>, <c>proj.*</c>.
/// </summary>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly long _numHeads;

    public Attention(long dim, long numHeads, bool qkvBias) : base(nameof(Attention))
    {
        _numHeads = numHeads;
        qkv = VitInit.Linear(dim, 3 * dim, qkvBias);
        proj = VitInit.Linear(dim, dim);
        RegisterComponents();
    }

    /// <param name="x">(B, L, D).</param>
    /// <returns>(B, L, D).</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (b, l, d) = (x.shape[0], x.shape[1], x.shape[2]);
        // (B, L, 3·H·d_h) → (3, B, H, L, d_h): the layout 'B L (K H D) -> K B H L D' of U-ViT.
        var qkvHeads = qkv.call(x).reshape(b, l, 3, _numHeads, d / _numHeads).permute(2, 0, 3, 1, 4);
        var (q, k, v) = (qkvHeads[0], qkvHeads[1], qkvHeads[2]);
        var heads = nn.functional.scaled_dot_product_attention(q, k, v);
        var merged = heads.transpose(1, 2).reshape(b, l, d);
        return proj.call(merged).MoveToOuterDisposeScope();
    }
}

/// <summary>The transformer MLP (timm <c>Mlp</c>): fc2(GELU(fc1(x))). Keys: <c>fc1.*</c>, <c>fc2.*</c>.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;

    public Mlp(long dim, long hidden) : base(nameof(Mlp))
    {
        fc1 = VitInit.Linear(dim, hidden);
        fc2 = VitInit.Linear(hidden, dim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var hidden = nn.functional.gelu(fc1.call(x));
        return fc2.call(hidden);
    }
}

/// <summary>
/// Image to tokens (U-ViT <c>PatchEmbed</c>): a p×p convolution with stride p, flattened row by row:
/// (B, C, H, W) → (B, (H/p)·(W/p), D). Key: <c>proj.*</c>.
/// </summary>
public sealed class PatchEmbed : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d proj;

    public PatchEmbed(long patchSize, long inChannels, long embedDim) : base(nameof(PatchEmbed))
    {
        proj = nn.Conv2d(inChannels, embedDim, patchSize, stride: patchSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var features = proj.call(x);            // (B, D, H/p, W/p)
        using var flat = features.flatten(2);          // (B, D, L)
        return flat.transpose(1, 2).contiguous();      // (B, L, D)
    }
}

/// <summary>
/// AdaGN on a token sequence. <see cref="AdaptiveGroupNorm"/> normalises image-like (B, C, H, W) tensors, so the
/// tokens (B, L, D) are viewed as a D-channel "image" of L×1 positions: each group of channels is normalised over
/// all tokens (as GroupNorm does over pixels), then scaled and shifted per channel by the style of z.
/// </summary>
internal static class TokenNorm
{
    public static Tensor Apply(AdaptiveGroupNorm norm, Tensor tokens, Tensor zEmb)
    {
        using var scope = NewDisposeScope();
        var asImage = tokens.transpose(1, 2).unsqueeze(-1);      // (B, D, L, 1)
        var normed = norm.call(asImage, zEmb);
        return normed.squeeze(-1).transpose(1, 2).contiguous().MoveToOuterDisposeScope();   // (B, L, D)
    }
}

/// <summary>
/// U-ViT's initialisation of its linear layers and position embedding (<c>_init_weights</c>, timm
/// <c>trunc_normal_(std=.02)</c>): a normal of std 0.02 truncated at ±2, biases zero.
/// <para>
/// Not <c>nn.init.trunc_normal_</c>: in TorchSharp 0.107 its native code scales by the mean and shifts by the std
/// (<c>mul_(mean); add_(std)</c>), so with mean 0 every element becomes 0.02. Truncation at ±2 is ±100σ, so a normal
/// clamped to [-2, 2] is the same distribution.
/// </para>
/// </summary>
internal static class VitInit
{
    public const double Std = 0.02;

    /// <summary>Fills <paramref name="tensor"/> in place with N(0, 0.02²) truncated to [-2, 2].</summary>
    public static Tensor TruncNormal(Tensor tensor)
    {
        using (no_grad())
            nn.init.normal_(tensor, 0.0, Std).clamp_(-2.0, 2.0);
        return tensor;
    }

    /// <summary>A linear layer with U-ViT's initialisation: truncated-normal weight, zero bias.</summary>
    public static Linear Linear(long inFeatures, long outFeatures, bool bias = true)
    {
        var lin = nn.Linear(inFeatures, outFeatures, hasBias: bias);
        TruncNormal(lin.weight!);
        if (lin.bias is not null)
            using (no_grad()) lin.bias.zero_();
        return lin;
    }
}
