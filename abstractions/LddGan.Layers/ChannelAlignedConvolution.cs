using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// A 2-D convolution computed with its output channels padded to a multiple of 16 (zero filters) and, above 16, its
/// input channels to a multiple of 32 (zero channels with zero weights), the output cut back: the same output, computed
/// by the kernels libtorch uses for aligned layers. On some AVX-512 CPUs libtorch 2.10's oneDNN returns wrong input
/// gradients (or NaN) for stride-1 convolutions whose output channel count is not a multiple of 16 (the last layer of
/// every generator) and for strided ones with more than 16 input channels that are not a multiple of 32 (48, 80, 129,
/// ...; measured on a grid of shapes there); the aligned form is right. Input channel counts of 1–16 (first layers)
/// measured right and are left as they are.
/// </summary>
public static class ChannelAlignedConvolution
{
    public const long OutputAlignment = 16, InputAlignment = 32;

    /// <summary>Whether a convolution of these channel counts and groups is computed aligned.</summary>
    public static bool Applies(long inChannels, long outChannels, long groups) =>
        groups == 1 && (OutputPadding(outChannels) > 0 || InputPadding(inChannels) > 0);

    private static long OutputPadding(long outChannels) =>
        outChannels % OutputAlignment == 0 ? 0 : OutputAlignment - outChannels % OutputAlignment;

    private static long InputPadding(long inChannels) =>
        inChannels <= OutputAlignment || inChannels % InputAlignment == 0 ? 0 : InputAlignment - inChannels % InputAlignment;

    /// <summary><c>conv2d(x, weight, bias, ...)</c>, aligned as above when <see cref="Applies"/>; plain otherwise.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, long[] strides, long[] padding, long[] dilation, long groups)
    {
        long outChannels = weight.size(0), inChannels = weight.size(1);
        if (!Applies(inChannels, outChannels, groups))
            return nn.functional.conv2d(x, weight, bias, strides: strides, padding: padding, dilation: dilation, groups: groups);
        using var scope = NewDisposeScope();
        long extraOut = OutputPadding(outChannels), extraIn = InputPadding(inChannels);
        var alignedWeight = nn.functional.pad(weight, [0, 0, 0, 0, 0, extraIn, 0, extraOut]);
        var alignedBias = bias is null || extraOut == 0 ? bias : nn.functional.pad(bias, [0, extraOut]);
        var alignedInput = extraIn == 0 ? x : nn.functional.pad(x, [0, 0, 0, 0, 0, extraIn]);
        var y = nn.functional.conv2d(alignedInput, alignedWeight, alignedBias, strides: strides, padding: padding, dilation: dilation, groups: groups);
        return (extraOut == 0 ? y : y.narrow(1, 0, outChannels)).MoveToOuterDisposeScope();
    }
}
