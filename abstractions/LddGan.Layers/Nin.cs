using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// Network-in-network layer (<c>layers.NIN</c>): a per-pixel linear map over channels. The weight is stored as
/// (in, out), i.e. transposed relative to <c>nn.Linear</c>, under the key <c>W</c>; the bias under <c>b</c>.
/// Weight initialised with <see cref="DdpmInit.VarianceScaling"/> (default scale 0.1), bias zero.
/// </summary>
public sealed class NIN : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // official state-dict names
    private Parameter W;
    private Parameter b;
#pragma warning restore IDE1006

    public long InFeatures { get; }
    public long OutFeatures { get; }

    public NIN(long inDim, long numUnits, double initScale = 0.1) : base(nameof(NIN))
    {
        InFeatures = inDim;
        OutFeatures = numUnits;
        W = new Parameter(DdpmInit.VarianceScaling(empty(inDim, numUnits), initScale));
        b = new Parameter(zeros(numUnits));
        RegisterComponents();
    }

    /// <summary>Applies the layer to an NCHW tensor: y[b, o, h, w] = Σ_c x[b, c, h, w]·W[c, o] + b[o].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = ApplyChannelsLast(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Applies the layer to a channels-last tensor (..., in): y = x·W + b, shape (..., out).</summary>
    public Tensor ApplyChannelsLast(Tensor x)
    {
        using var scope = NewDisposeScope();
        var shape = x.shape;
        var flat = x.reshape(-1, InFeatures);
        var outShape = (long[])shape.Clone();
        outShape[^1] = OutFeatures;
        var y = addmm(b, flat, W, beta: 1, alpha: 1).view(outShape);
        return y.MoveToOuterDisposeScope();
    }
}
