using LddGan.Engine.Runtime;
using static TorchSharp.torch;

namespace LddGan.Engine.Data;

/// <summary>The official training augmentation: each image of a batch flipped left-right with probability ½.</summary>
internal static class HorizontalFlip
{
    /// <summary>Draws one uniform per image from <paramref name="augmentation"/> (on the CPU, like every random stream).</summary>
    public static Tensor Random(Tensor images, Generator? augmentation)
    {
        long b = images.shape[0];
        var flip = GeneratorNoise.Uniform([b], ScalarType.Float32, CPU, augmentation).lt(0.5).view(b, 1, 1, 1);
        return where(flip, images.flip(3), images);
    }
}
