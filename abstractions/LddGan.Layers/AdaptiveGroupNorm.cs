using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// Adaptive group normalisation (AdaGN) of the DDGAN generator: an affine-free GroupNorm (eps 1e-6) whose per-channel
/// scale and shift come from the latent embedding: [γ, β] = style(z_emb), out = γ ⊙ norm(x) + β.
/// <c>style</c> is a <c>dense_layer.dense(style_dim → 2C)</c> whose bias starts at γ = 1, β = 0.
/// State-dict keys: <c>style.weight</c>, <c>style.bias</c> (the norm has no parameters).
/// </summary>
public sealed class AdaptiveGroupNorm : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GroupNorm norm;
    private readonly Linear style;

    public long Channels { get; }

    /// <param name="numGroups">Number of groups (the official networks use min(C/4, 32), see <see cref="GroupCount"/>).</param>
    /// <param name="channels">C, the channels of the normalised input.</param>
    /// <param name="styleDim">Dimension of the latent embedding z_emb.</param>
    public AdaptiveGroupNorm(long numGroups, long channels, long styleDim) : base(nameof(AdaptiveGroupNorm))
    {
        Channels = channels;
        norm = nn.GroupNorm(numGroups, channels, eps: 1e-6, affine: false);
        style = DenseLayerInit.Dense(styleDim, 2 * channels);
        using (no_grad())
        {
            style.bias![TensorIndex.Slice(0, channels)].fill_(1.0);
            style.bias![TensorIndex.Slice(channels, 2 * channels)].fill_(0.0);
        }
        RegisterComponents();
    }

    /// <summary>The group count of the official NCSN++ normalisations, min(C/4, 32); it must divide C.</summary>
    public static long GroupCount(long channels)
    {
        var groups = Math.Min(channels / 4, 32);
        if (groups < 1 || channels % groups != 0)
            throw new ArgumentException(
                $"a GroupNorm over {channels} channels uses min(C/4, 32) = {groups} groups, which does not divide the channels; " +
                "choose nf and ch_mult so that every channel count is at least 4 and divisible by its group count");
        return groups;
    }

    /// <param name="input">(B, C, H, W).</param>
    /// <param name="zEmb">(B, style_dim).</param>
    public override Tensor forward(Tensor input, Tensor zEmb)
    {
        using var scope = NewDisposeScope();
        var s = style.call(zEmb).unsqueeze(2).unsqueeze(3);
        var gammaBeta = s.chunk(2, 1);
        var output = addcmul(gammaBeta[1], gammaBeta[0], norm.call(input), 1);
        return output.MoveToOuterDisposeScope();
    }
}
