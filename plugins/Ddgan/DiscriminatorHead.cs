using LddGan.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Plugins.Ddgan;

/// <summary>The parts shared by both DDGAN discriminators.</summary>
internal static class DiscriminatorHead
{
    public const double NegativeSlope = 0.2;

    /// <summary>LReLU(t_embed(t)) — the discriminators activate the time embedding once more.</summary>
    public static Tensor TimeEmbedding(TimestepEmbedding tEmbed, Tensor t) =>
        nn.functional.leaky_relu(tEmbed.call(t), NegativeSlope);

    /// <summary>cat([x, x_cond]) checked against the expected channel count.</summary>
    public static Tensor Input(Tensor x, Tensor xCond, long nc, string name)
    {
        if (x.dim() != 4 || xCond.dim() != 4 || x.shape[1] + xCond.shape[1] != nc)
            throw new ArgumentException(
                $"{name} expects x and x_cond of shape (B, {nc / 2}, H, W), got ({string.Join(", ", x.shape)}) and ({string.Join(", ", xCond.shape)})");
        return cat([x, xCond], 1);
    }

    /// <summary>minibatch stddev → final_conv → LReLU → sum over H·W → end_linear: (B, C, H, W) → (B, 1).</summary>
    public static Tensor Logits(Tensor features, MinibatchStddev stddev, Conv2d finalConv, Linear endLinear)
    {
        var h = nn.functional.leaky_relu(finalConv.call(stddev.call(features)), NegativeSlope);
        return endLinear.call(h.flatten(2).sum(2));
    }
}
