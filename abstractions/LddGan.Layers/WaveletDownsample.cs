using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// WDDGAN's frequency residual input pyramid (<c>layerspp.WaveletDownsample</c>): the Haar bands of the pyramid tensor,
/// cat(LL, LH, HL, HH)/2 (4·in channels at half the resolution), then a 3×3 convolution (stride 1, padding 1) to
/// <c>out</c> channels. Its parameters sit directly on the module: <c>weight</c> (out, 4·in, 3, 3), DDPM-initialised,
/// and <c>bias</c> (out), zero.
/// </summary>
public sealed class WaveletDownsample : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;

    public long InChannels { get; }
    public long OutChannels { get; }

    public WaveletDownsample(long inChannels, long? outChannels = null) : base(nameof(WaveletDownsample))
    {
        InChannels = inChannels;
        OutChannels = outChannels ?? inChannels;
        weight = new Parameter(empty(OutChannels, 4 * inChannels, 3, 3));
        DdpmInit.VarianceScaling(weight);
        bias = new Parameter(zeros(OutChannels));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (ll, lh, hl, hh) = HaarWavelet.Bands(x);
        var bands = cat([ll, lh, hl, hh], 1) / 2.0;
        // A functional convolution the engine's oneDNN check cannot hook: channel-aligned on every CPU (same output;
        // wrong oneDNN input gradients otherwise on the CPUs ChannelAlignedConvolution names).
        var y = bands.device_type == DeviceType.CPU
            ? ChannelAlignedConvolution.Conv2d(bands, weight, bias, strides: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1)
            : nn.functional.conv2d(bands, weight, bias, padding: [1, 1]);
        return y.MoveToOuterDisposeScope();
    }
}
