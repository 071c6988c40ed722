using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// The three high-frequency Haar bands a frequency-aware down block hands to its up block, in WaveCNet's naming
/// (<c>DWT_2D</c>): LH = (a−b+c−d)/2, HL = (a+b−c−d)/2, HH = (a−b−c+d)/2.
/// </summary>
public sealed record HaarDetailBands(Tensor LH, Tensor HL, Tensor HH) : IDisposable
{
    public void Dispose()
    {
        LH.Dispose();
        HL.Dispose();
        HH.Dispose();
    }
}

/// <summary>
/// WDDGAN's frequency-aware resampling block (<c>layerspp.WaveletResnetBlockBigGANpp_Adagn</c> with up or down): the
/// BigGAN block of <see cref="ResnetBlockBigGANppAdagn"/> with the FIR resampling replaced by the Haar transform.
/// <code>
/// down: h = Conv_0(SiLU(GroupNorm_0(x)))          at full resolution
///       x = Conv_2(x)
///       h, x = LL(h)/2, LL(x)/2;  keep (LH, HL, HH) of h for the up path
/// up:   h = Conv_0(SiLU(GroupNorm_0(x)));  x = Conv_2(x)        at low resolution
///       (LH, HL, HH) = chunk₃(convH_0(cat(skip bands)/2)·2)      grouped 3×3, one group per band
///       h, x = IDWT(2h, LH, HL, HH), IDWT(2x, LH, HL, HH)
/// both: h = Conv_1(Dropout(SiLU(GroupNorm_1(h + Dense_0(SiLU(temb))))));  out = (x + h)/√2
/// </code>
/// Blocks that keep the resolution are plain <see cref="ResnetBlockBigGANppAdagn"/>s (same math, same keys).
/// State-dict keys: <c>GroupNorm_0.style.*</c>, <c>Conv_0.*</c>, <c>Dense_0.*</c>, <c>GroupNorm_1.style.*</c>,
/// <c>Conv_1.*</c>, <c>Conv_2.*</c>, and for up blocks <c>convH_0.*</c>.
/// </summary>
public sealed class WaveletResnetBlockBigGANppAdagn : nn.Module, INcsnppResamplingBlock
{
#pragma warning disable IDE1006 // official state-dict names
    private readonly AdaptiveGroupNorm GroupNorm_0;
    private readonly Conv2d Conv_0;
    private readonly Linear? Dense_0;
    private readonly AdaptiveGroupNorm GroupNorm_1;
    private readonly Dropout Dropout_0;
    private readonly Conv2d Conv_1;
    private readonly Conv2d Conv_2;
    private readonly Conv2d? convH_0;
#pragma warning restore IDE1006
    private readonly bool _skipRescale;
    private readonly double _dropout;

    public long InChannels { get; }
    public long OutChannels { get; }
    public Resampling Resampling { get; }

    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels (default: <paramref name="inChannels"/>).</param>
    /// <param name="tembDim">Dimension of the time embedding (4·nf), or null for no time conditioning.</param>
    /// <param name="zembDim">Dimension of z_emb.</param>
    /// <param name="resampling">Up or Down (a block that keeps the resolution is a <see cref="ResnetBlockBigGANppAdagn"/>).</param>
    /// <param name="highInChannels">Up blocks: channels of the bands handed over by the matching down block (<c>hi_in_ch</c>).</param>
    /// <param name="dropout">Dropout probability before Conv_1.</param>
    /// <param name="skipRescale">Divide the residual sum by √2.</param>
    /// <param name="initScale">Init scale of Conv_1 (0 → near-zero, as in the official networks).</param>
    public WaveletResnetBlockBigGANppAdagn(long inChannels, long? outChannels, long? tembDim, long zembDim, Resampling resampling,
                                           long? highInChannels = null, double dropout = 0.1, bool skipRescale = true, double initScale = 0.0)
        : base(nameof(WaveletResnetBlockBigGANppAdagn))
    {
        if (resampling == Resampling.None)
            throw new ArgumentException("a frequency-aware block resamples (Up or Down); use ResnetBlockBigGANppAdagn to keep the resolution");
        if (resampling == Resampling.Up && highInChannels is null)
            throw new ArgumentException("a frequency-aware up block needs the channel count of its down block's bands (highInChannels)");
        var outCh = outChannels ?? inChannels;
        InChannels = inChannels;
        OutChannels = outCh;
        Resampling = resampling;
        GroupNorm_0 = new AdaptiveGroupNorm(AdaptiveGroupNorm.GroupCount(inChannels), inChannels, zembDim);
        Conv_0 = DdpmInit.Conv3x3(inChannels, outCh);
        if (tembDim is { } t)
            Dense_0 = DdpmInit.Linear(t, outCh);
        GroupNorm_1 = new AdaptiveGroupNorm(AdaptiveGroupNorm.GroupCount(outCh), outCh, zembDim);
        Dropout_0 = nn.Dropout(dropout);
        Conv_1 = DdpmInit.Conv3x3(outCh, outCh, initScale: initScale);
        Conv_2 = DdpmInit.Conv1x1(inChannels, outCh);
        if (resampling == Resampling.Up)
            convH_0 = DdpmInit.Conv3x3(3 * highInChannels!.Value, 3 * outCh, groups: 3);
        _skipRescale = skipRescale;
        _dropout = dropout;
        RegisterComponents();
    }

    /// <summary>Halves the resolution; returns the block's output and the high bands of h for the matching up block.</summary>
    public (Tensor Output, HaarDetailBands High) Down(Tensor x, Tensor? temb, Tensor zemb)
    {
        if (Resampling != Resampling.Down) throw new InvalidOperationException("this is an up block; call Up");
        using var scope = NewDisposeScope();
        var h = Conv_0.call(nn.functional.silu(GroupNorm_0.call(x, zemb)));
        var skip = Conv_2.call(x);
        var (hLL, hLH, hHL, hHH) = HaarWavelet.Bands(h);
        var (xLL, _, _, _) = HaarWavelet.Bands(skip);
        var output = Finish(hLL / 2.0, xLL / 2.0, temb, zemb);
        var high = new HaarDetailBands(hLH.MoveToOuterDisposeScope(), hHL.MoveToOuterDisposeScope(), hHH.MoveToOuterDisposeScope());
        return (output.MoveToOuterDisposeScope(), high);
    }

    /// <summary>Doubles the resolution, rebuilding the high frequencies from the matching down block's bands.</summary>
    public Tensor Up(Tensor x, Tensor? temb, Tensor zemb, HaarDetailBands skipHigh)
    {
        if (Resampling != Resampling.Up) throw new InvalidOperationException("this is a down block; call Down");
        using var scope = NewDisposeScope();
        var h = Conv_0.call(nn.functional.silu(GroupNorm_0.call(x, zemb)));
        var skip = Conv_2.call(x);
        var bands = (convH_0!.call(cat([skipHigh.LH, skipHigh.HL, skipHigh.HH], 1) / 2.0) * 2.0).chunk(3, 1);
        h = HaarWavelet.FromBands(2.0 * h, bands[0], bands[1], bands[2]);
        skip = HaarWavelet.FromBands(2.0 * skip, bands[0], bands[1], bands[2]);
        return Finish(h, skip, temb, zemb).MoveToOuterDisposeScope();
    }

    Tensor INcsnppResamplingBlock.Down(Tensor x, Tensor? temb, Tensor zemb, Stack<HaarDetailBands> highBands)
    {
        var (output, high) = Down(x, temb, zemb);
        highBands.Push(high);
        return output;
    }

    Tensor INcsnppResamplingBlock.Up(Tensor x, Tensor? temb, Tensor zemb, Stack<HaarDetailBands> highBands) =>
        Up(x, temb, zemb, highBands.Pop());

    private Tensor Finish(Tensor h, Tensor skip, Tensor? temb, Tensor zemb)
    {
        if (temb is not null && Dense_0 is not null)
            h = h + Dense_0.call(nn.functional.silu(temb)).unsqueeze(2).unsqueeze(3);
        h = nn.functional.silu(GroupNorm_1.call(h, zemb));
        if (_dropout > 0)
            h = Dropout_0.call(h);
        h = Conv_1.call(h);
        return _skipRescale ? (skip + h) / Math.Sqrt(2.0) : skip + h;
    }
}
