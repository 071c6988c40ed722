using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// Resampling without FIR filtering (<c>naive_upsample_2d</c>, <c>naive_downsample_2d</c>), used when <c>fir</c> is off:
/// nearest-neighbour upsampling by 2 and 2×2 average pooling.
/// </summary>
public static class NaiveResample
{
    /// <summary>Each pixel repeated into a 2×2 block: (B, C, H, W) → (B, C, 2H, 2W).</summary>
    public static Tensor Upsample2d(Tensor x)
    {
        using var rows = x.repeat_interleave(2, dim: 2);
        return rows.repeat_interleave(2, dim: 3);
    }

    /// <summary>Mean over 2×2 blocks: (B, C, H, W) → (B, C, H/2, W/2).</summary>
    public static Tensor Downsample2d(Tensor x) => nn.functional.avg_pool2d(x, 2, 2);
}
