using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>Fan-in and fan-out of a weight (axis 1 and axis 0, each times the receptive field), as PyTorch/JAX count them.</summary>
internal static class WeightFans
{
    public static (double FanIn, double FanOut) Of(Tensor weight)
    {
        if (weight.dim() < 2)
            throw new ArgumentException($"fan computation needs a tensor with at least 2 dimensions, got {weight.dim()}", nameof(weight));
        var shape = weight.shape;
        double receptive = 1;
        for (var i = 2; i < shape.Length; i++) receptive *= shape[i];
        return (shape[1] * receptive, shape[0] * receptive);
    }
}
