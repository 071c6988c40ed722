using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// Downsampling by 2 of NCSN++ (<c>layerspp.Downsample</c>); with <c>fir</c> and <c>with_conv</c> it is the pyramid
/// downsample of <c>progressive_input = residual</c>: FIR filtering (padding n/2) followed by a 3×3 stride-2 convolution
/// without padding, <c>Conv2d_0</c> (DDPM init, zero bias). The other variants:
/// FIR without conv → <see cref="FirFilter.Downsample2d"/>; no FIR with conv → pad (0,1,0,1) then <c>Conv_0</c> 3×3 stride 2;
/// neither → 2×2 average pooling.
/// </summary>
public sealed class Downsample : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // official state-dict names
    private readonly Conv2d? Conv2d_0;
    private readonly Conv2d? Conv_0;
#pragma warning restore IDE1006
    private readonly FirFilter? _fir;

    public long InChannels { get; }
    public long OutChannels { get; }

    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels (only meaningful with a convolution; default: <paramref name="inChannels"/>).</param>
    /// <param name="withConv">Learn a 3×3 stride-2 convolution.</param>
    /// <param name="fir">Use the FIR filter (else naive).</param>
    /// <param name="firKernel">1-D FIR kernel (default [1, 3, 3, 1]).</param>
    public Downsample(long inChannels, long? outChannels = null, bool withConv = false, bool fir = false,
                      IReadOnlyList<double>? firKernel = null) : base(nameof(Downsample))
    {
        InChannels = inChannels;
        OutChannels = outChannels ?? inChannels;
        if (!withConv && OutChannels != inChannels)
            throw new ArgumentException("a downsample without convolution cannot change the channel count");
        if (fir)
        {
            _fir = new FirFilter(firKernel ?? FirFilter.DefaultKernel);
            if (withConv)
                Conv2d_0 = DdpmInit.Conv(inChannels, OutChannels, 3, stride: 2, padding: 0, bias: true, initScale: 1.0);
        }
        else if (withConv)
        {
            Conv_0 = DdpmInit.Conv3x3(inChannels, OutChannels, stride: 2, padding: 0);
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (_fir is not null)
        {
            if (Conv2d_0 is null) return _fir.Downsample2d(x);
            using var blurred = _fir.Blur(x);
            return Conv2d_0.call(blurred);
        }
        if (Conv_0 is null) return NaiveResample.Downsample2d(x);
        using var padded = nn.functional.pad(x, [0, 1, 0, 1]);
        return Conv_0.call(padded);
    }
}
