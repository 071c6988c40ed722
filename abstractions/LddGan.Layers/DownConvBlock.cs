using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// The residual block of the DDGAN discriminators (<c>discriminator.DownConvBlock</c>):
/// <code>
/// out = conv1(LReLU(x)) + dense_t1(t_emb)[:, :, None, None]
/// out = LReLU(out)
/// if downsample: out, x = FIR-downsample(out), FIR-downsample(x)
/// out = (conv2(out) + skip(x)) / √2        (conv2 starts near zero; skip is a 1×1 conv without bias)
/// </code>
/// All layers use <see cref="DenseLayerInit"/>. State-dict keys: <c>conv1.0.*</c>, <c>conv2.0.*</c>, <c>dense_t1.*</c>,
/// <c>skip.0.weight</c>.
/// </summary>
public sealed class DownConvBlock : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // official state-dict names
    private readonly Sequential conv1;
    private readonly Sequential conv2;
    private readonly Linear dense_t1;
    private readonly Sequential skip;
#pragma warning restore IDE1006
    private readonly FirFilter? _fir;
    private readonly double _negativeSlope;

    public long InChannels { get; }
    public long OutChannels { get; }
    public bool Downsamples => _fir is not null;

    public DownConvBlock(long inChannels, long outChannels, long tEmbDim, bool downsample = false,
                         IReadOnlyList<double>? firKernel = null, double negativeSlope = 0.2, long kernelSize = 3, long padding = 1)
        : base(nameof(DownConvBlock))
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        conv1 = nn.Sequential(("0", DenseLayerInit.Conv2d(inChannels, outChannels, kernelSize, padding: padding)));
        conv2 = nn.Sequential(("0", DenseLayerInit.Conv2d(outChannels, outChannels, kernelSize, padding: padding, initScale: 0.0)));
        dense_t1 = DenseLayerInit.Dense(tEmbDim, outChannels);
        skip = nn.Sequential(("0", DenseLayerInit.Conv2d(inChannels, outChannels, 1, padding: 0, bias: false)));
        if (downsample)
            _fir = new FirFilter(firKernel ?? FirFilter.DefaultKernel);
        _negativeSlope = negativeSlope;
        RegisterComponents();
    }

    /// <param name="input">(B, in, H, W).</param>
    /// <param name="tEmb">(B, t_emb_dim), already activated by the discriminator.</param>
    public override Tensor forward(Tensor input, Tensor tEmb)
    {
        using var scope = NewDisposeScope();
        var output = conv1.call(nn.functional.leaky_relu(input, _negativeSlope));
        output = output.add_(dense_t1.call(tEmb).unsqueeze(2).unsqueeze(3));
        output = nn.functional.leaky_relu(output, _negativeSlope);
        var x = input;
        if (_fir is not null)
        {
            output = _fir.Downsample2d(output);
            x = _fir.Downsample2d(input);
        }
        output = (conv2.call(output) + skip.call(x)) / Math.Sqrt(2.0);
        return output.MoveToOuterDisposeScope();
    }
}
