using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// A 2-D convolution whose output channels are padded with zero filters up to a multiple of 16 and cut back after:
/// the same output, computed by the convolution kernels used for 16-aligned layers. On some AVX-512 CPUs libtorch 2.10's
/// oneDNN returns wrong input gradients (or NaN) for stride-1 convolutions with a channel count that is not a multiple
/// of 16 (the last layer of every generator); the padded form takes the correct path, at the cost of a few extra
/// filters in those layers only.
/// </summary>
public static class OutputChannelPadding
{
    public const long Alignment = 16;

    /// <summary>Whether a convolution with <paramref name="outChannels"/> and <paramref name="groups"/> is padded.</summary>
    public static bool Applies(long outChannels, long groups) => groups == 1 && outChannels % Alignment != 0;

    /// <summary><c>conv2d(x, weight, bias, ...)</c>, padded as above when <see cref="Applies"/>; plain otherwise.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, long[] strides, long[] padding, long[] dilation, long groups)
    {
        long outChannels = weight.size(0);
        if (!Applies(outChannels, groups))
            return nn.functional.conv2d(x, weight, bias, strides: strides, padding: padding, dilation: dilation, groups: groups);
        using var scope = NewDisposeScope();
        long extra = Alignment - outChannels % Alignment;
        var paddedWeight = nn.functional.pad(weight, [0, 0, 0, 0, 0, 0, 0, extra]);
        var paddedBias = bias is null ? null : nn.functional.pad(bias, [0, extra]);
        return nn.functional.conv2d(x, paddedWeight, paddedBias, strides: strides, padding: padding, dilation: dilation, groups: groups)
            .narrow(1, 0, outChannels).MoveToOuterDisposeScope();
    }
}
