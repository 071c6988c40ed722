using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// The DDPM / NCSN++ initialisation (<c>layers.default_init</c>): JAX-style variance scaling with
/// mode fan_avg and a uniform distribution, plus the conv/linear factories built on it
/// (<c>ddpm_conv3x3</c>, <c>ddpm_conv1x1</c>, the time-MLP and <c>Dense_0</c> linears).
/// </summary>
public static class DdpmInit
{
    /// <summary>
    /// Fills <paramref name="weight"/> with U(-b, b), b = sqrt(3·scale / fan_avg), where
    /// fan_avg = (fan_in + fan_out) / 2 over axis 1 (in) and axis 0 (out), both multiplied by the receptive field.
    /// A scale of 0 stands for 1e-10 (a near-zero initialisation, as in the official code).
    /// </summary>
    public static Tensor VarianceScaling(Tensor weight, double scale = 1.0)
    {
        var s = scale == 0 ? 1e-10 : scale;
        var (fanIn, fanOut) = WeightFans.Of(weight);
        var bound = Math.Sqrt(3.0 * s / ((fanIn + fanOut) / 2.0));
        using (no_grad())
            nn.init.uniform_(weight, -bound, bound);
        return weight;
    }

    /// <summary>3×3 convolution with DDPM initialisation and zero bias (<c>ddpm_conv3x3</c>).</summary>
    public static Conv2d Conv3x3(long inChannels, long outChannels, long stride = 1, long padding = 1, bool bias = true, double initScale = 1.0, long groups = 1)
        => Conv(inChannels, outChannels, 3, stride, padding, bias, initScale, groups);

    /// <summary>1×1 convolution with DDPM initialisation and zero bias (<c>ddpm_conv1x1</c>).</summary>
    public static Conv2d Conv1x1(long inChannels, long outChannels, long stride = 1, long padding = 0, bool bias = true, double initScale = 1.0)
        => Conv(inChannels, outChannels, 1, stride, padding, bias, initScale);

    /// <summary>A k×k convolution with DDPM initialisation and zero bias (fans from the weight's shape, so per group).</summary>
    public static Conv2d Conv(long inChannels, long outChannels, long kernelSize, long stride, long padding, bool bias, double initScale, long groups = 1)
    {
        var conv = nn.Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding, bias: bias, groups: groups);
        VarianceScaling(conv.weight!, initScale);
        if (conv.bias is not null)
            using (no_grad()) conv.bias.zero_();
        return conv;
    }

    /// <summary><c>nn.Linear</c> with DDPM-initialised weight and zero bias (time MLP, resblock <c>Dense_0</c>).</summary>
    public static Linear Linear(long inFeatures, long outFeatures, double initScale = 1.0)
    {
        var lin = nn.Linear(inFeatures, outFeatures);
        VarianceScaling(lin.weight!, initScale);
        using (no_grad()) lin.bias!.zero_();
        return lin;
    }
}
