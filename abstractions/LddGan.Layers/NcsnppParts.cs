using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// The residual blocks of one NCSN++ level on the way down, each followed by its attention block where the level has
/// one; every output is pushed on the skip stack <c>hs</c>.
/// </summary>
public sealed record NcsnppDownBlocks(ResnetBlockBigGANppAdagn[] Blocks, AttnBlockpp?[] Attentions)
{
    public Tensor Run(Stack<Tensor> hs, Tensor? temb, Tensor zemb)
    {
        Tensor h = hs.Peek();
        for (var b = 0; b < Blocks.Length; b++)
        {
            h = Blocks[b].call(hs.Peek(), temb, zemb);
            if (Attentions[b] is { } attention) h = attention.call(h);
            hs.Push(h);
        }
        return h;
    }
}

/// <summary>The residual blocks of one NCSN++ level on the way up, each on cat[h, skip], then the level's one attention block.</summary>
public sealed record NcsnppUpBlocks(ResnetBlockBigGANppAdagn[] Blocks, AttnBlockpp? Attention)
{
    public Tensor Run(Tensor h, Stack<Tensor> hs, Tensor? temb, Tensor zemb)
    {
        foreach (var block in Blocks)
            h = block.call(cat([h, hs.Pop()], 1), temb, zemb);
        return Attention is null ? h : Attention.call(h);
    }
}

/// <summary>
/// The middle of NCSN++ at the lowest resolution: residual block → attention → residual block
/// (<c>all_modules</c> entries between the down and the up path).
/// </summary>
public sealed record NcsnppMiddle(ResnetBlockBigGANppAdagn First, AttnBlockpp Attention, ResnetBlockBigGANppAdagn Second)
{
    public Tensor Run(Tensor h, Tensor? temb, Tensor zemb) =>
        Second.call(Attention.call(First.call(h, temb, zemb)), temb, zemb);
}

/// <summary>
/// A block that halves (down path) or doubles (up path) the resolution between two NCSN++ levels; implemented by modules.
/// A frequency-aware block keeps the high Haar bands it takes away on the way down and hands them, through
/// <c>highBands</c>, to its counterpart on the way up; an FIR or naive block hands over nothing.
/// </summary>
public interface INcsnppResamplingBlock
{
    Tensor Down(Tensor x, Tensor? temb, Tensor zemb, Stack<HaarDetailBands> highBands);
    Tensor Up(Tensor x, Tensor? temb, Tensor zemb, Stack<HaarDetailBands> highBands);
}

/// <summary>The time path and the output head that every NCSN++ generator shares (<c>all_modules</c> 0–1 and the last two).</summary>
public sealed record NcsnppEnds(Linear? Temb0, Linear? Temb1, GroupNorm OutNorm, Conv2d ConvOut)
{
    /// <summary>Linear(nf → 4nf) → SiLU → Linear(4nf → 4nf) on the sinusoidal embedding of t; null when not time-conditional.</summary>
    public Tensor? TimeEmbedding(Tensor t, int nf, ScalarType dtype) =>
        Temb0 is null || Temb1 is null ? null
            : Temb1.call(nn.functional.silu(Temb0.call(SinusoidalEmbedding.Compute(t, nf, dtype: dtype))));

    /// <summary>GroupNorm → SiLU → conv, then tanh unless <paramref name="notUseTanh"/>.</summary>
    public Tensor Head(Tensor h, bool notUseTanh)
    {
        var output = ConvOut.call(nn.functional.silu(OutNorm.call(h)));
        return notUseTanh ? output : output.tanh();
    }

    /// <summary>The input check both generators make, naming the component.</summary>
    public static void CheckInput(Tensor x, int channels, int size, string component)
    {
        if (x.dim() != 4 || x.shape[1] != channels || x.shape[2] != size || x.shape[3] != size)
            throw new ArgumentException($"{component} expects x of shape (B, {channels}, {size}, {size}), got ({string.Join(", ", x.shape)})");
    }
}
