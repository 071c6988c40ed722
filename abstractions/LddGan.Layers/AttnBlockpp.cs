using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// Single-head self-attention over all H·W positions (<c>layerspp.AttnBlockpp</c>):
/// h = GroupNorm_0(x); q, k, v = NIN_0(h), NIN_1(h), NIN_2(h); a = softmax(q·kᵀ / √C)·v; out = (x + NIN_3(a)) / √2
/// (or x + NIN_3(a) without skip rescaling). NIN_3 starts near zero (init scale 0).
/// State-dict keys: <c>GroupNorm_0.{weight,bias}</c>, <c>NIN_{0..3}.{W,b}</c>.
/// </summary>
public sealed class AttnBlockpp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // official state-dict names
    private readonly GroupNorm GroupNorm_0;
    private readonly NIN NIN_0;
    private readonly NIN NIN_1;
    private readonly NIN NIN_2;
    private readonly NIN NIN_3;
#pragma warning restore IDE1006
    private readonly bool _skipRescale;

    public long Channels { get; }

    public AttnBlockpp(long channels, bool skipRescale = false, double initScale = 0.0) : base(nameof(AttnBlockpp))
    {
        Channels = channels;
        GroupNorm_0 = GroupNorms.Affine(AdaptiveGroupNorm.GroupCount(channels), channels, eps: 1e-6);
        NIN_0 = new NIN(channels, channels);
        NIN_1 = new NIN(channels, channels);
        NIN_2 = new NIN(channels, channels);
        NIN_3 = new NIN(channels, channels, initScale);
        _skipRescale = skipRescale;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        // tokens: (B, H·W, C), channels last, so that every NIN is one matrix product
        var tokens = GroupNorm_0.call(x).permute(0, 2, 3, 1).reshape(batch, height * width, channels);
        var q = NIN_0.ApplyChannelsLast(tokens);
        var k = NIN_1.ApplyChannelsLast(tokens);
        var v = NIN_2.ApplyChannelsLast(tokens);
        // softmax(q kᵀ / √C) v over all key positions (the default scale of the fused kernel is 1/√C)
        var attended = nn.functional.scaled_dot_product_attention(q, k, v);
        var h = NIN_3.ApplyChannelsLast(attended).view(batch, height, width, channels).permute(0, 3, 1, 2);
        var output = _skipRescale ? (x + h) / Math.Sqrt(2.0) : x + h;
        return output.MoveToOuterDisposeScope();
    }
}
