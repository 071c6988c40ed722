using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>Whether a residual block keeps, doubles or halves the resolution.</summary>
public enum Resampling
{
    None,
    Up,
    Down,
}

/// <summary>
/// The BigGAN-style residual block of the DDGAN generator with adaptive group norms
/// (<c>layerspp.ResnetBlockBigGANpp_Adagn</c>):
/// <code>
/// h = SiLU(GroupNorm_0(x, z_emb))
/// if up/down: h, x = resample(h), resample(x)        (FIR or naive, on both branches)
/// h = Conv_0(h) + Dense_0(SiLU(t_emb))[:, :, None, None]
/// h = Conv_1(Dropout_0(SiLU(GroupNorm_1(h, z_emb))))  (Conv_1 starts near zero)
/// x = Conv_2(x)                                       (1×1, only if in ≠ out or resampling)
/// out = (x + h) / √2                                  (x + h without skip rescaling)
/// </code>
/// State-dict keys: <c>GroupNorm_0.style.*</c>, <c>Conv_0.*</c>, <c>Dense_0.*</c>, <c>GroupNorm_1.style.*</c>,
/// <c>Conv_1.*</c>, <c>Conv_2.*</c>.
/// </summary>
public sealed class ResnetBlockBigGANppAdagn : nn.Module<Tensor, Tensor?, Tensor, Tensor>, INcsnppResamplingBlock
{
#pragma warning disable IDE1006 // official state-dict names
    private readonly AdaptiveGroupNorm GroupNorm_0;
    private readonly Conv2d Conv_0;
    private readonly Linear? Dense_0;
    private readonly AdaptiveGroupNorm GroupNorm_1;
    private readonly Dropout Dropout_0;
    private readonly Conv2d Conv_1;
    private readonly Conv2d? Conv_2;
#pragma warning restore IDE1006
    private readonly FirFilter? _fir;
    private readonly bool _skipRescale;
    private readonly double _dropout;

    public long InChannels { get; }
    public long OutChannels { get; }
    public Resampling Resampling { get; }

    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels (default: <paramref name="inChannels"/>).</param>
    /// <param name="tembDim">Dimension of the time embedding (4·nf in NCSN++), or null for no time conditioning.</param>
    /// <param name="zembDim">Dimension of the latent embedding z_emb.</param>
    /// <param name="resampling">Keep, double (up) or halve (down) the resolution.</param>
    /// <param name="dropout">Dropout probability before Conv_1.</param>
    /// <param name="fir">FIR resampling (else nearest / average pooling).</param>
    /// <param name="firKernel">1-D FIR kernel (default [1, 3, 3, 1]).</param>
    /// <param name="skipRescale">Divide the residual sum by √2.</param>
    /// <param name="initScale">Init scale of Conv_1 (0 → near-zero, as in the official networks).</param>
    public ResnetBlockBigGANppAdagn(long inChannels, long? outChannels, long? tembDim, long zembDim,
                                    Resampling resampling = Resampling.None, double dropout = 0.1, bool fir = false,
                                    IReadOnlyList<double>? firKernel = null, bool skipRescale = true, double initScale = 0.0)
        : base(nameof(ResnetBlockBigGANppAdagn))
    {
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
        if (inChannels != outCh || resampling != Resampling.None)
            Conv_2 = DdpmInit.Conv1x1(inChannels, outCh);
        if (fir && resampling != Resampling.None)
            _fir = new FirFilter(firKernel ?? FirFilter.DefaultKernel);
        _skipRescale = skipRescale;
        _dropout = dropout;
        RegisterComponents();
    }

    /// <param name="x">(B, in, H, W).</param>
    /// <param name="temb">(B, temb_dim) time embedding before its activation, or null.</param>
    /// <param name="zemb">(B, zemb_dim) latent embedding.</param>
    public override Tensor forward(Tensor x, Tensor? temb, Tensor zemb)
    {
        using var scope = NewDisposeScope();
        var h = nn.functional.silu(GroupNorm_0.call(x, zemb));
        var skip = x;
        if (Resampling != Resampling.None)
        {
            h = Resample(h);
            skip = Resample(x);
        }
        h = Conv_0.call(h);
        if (temb is not null && Dense_0 is not null)
            h = h.add_(Dense_0.call(nn.functional.silu(temb)).unsqueeze(2).unsqueeze(3));
        h = nn.functional.silu(GroupNorm_1.call(h, zemb));
        if (_dropout > 0)
            h = Dropout_0.call(h);
        h = Conv_1.call(h);
        if (Conv_2 is not null)
            skip = Conv_2.call(skip);
        var output = _skipRescale ? (skip + h) / Math.Sqrt(2.0) : skip + h;
        return output.MoveToOuterDisposeScope();
    }

    // As a resampling block of the U-Net it is the plain block: FIR or naive resampling hands no bands to the up path.
    Tensor INcsnppResamplingBlock.Down(Tensor x, Tensor? temb, Tensor zemb, Stack<HaarDetailBands> highBands) => call(x, temb, zemb);
    Tensor INcsnppResamplingBlock.Up(Tensor x, Tensor? temb, Tensor zemb, Stack<HaarDetailBands> highBands) => call(x, temb, zemb);

    private Tensor Resample(Tensor t) => (Resampling, _fir) switch
    {
        (Resampling.Up, { } f) => f.Upsample2d(t),
        (Resampling.Down, { } f) => f.Downsample2d(t),
        (Resampling.Up, null) => NaiveResample.Upsample2d(t),
        _ => NaiveResample.Downsample2d(t),
    };
}
