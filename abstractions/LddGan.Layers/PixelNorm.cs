using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>PixelNorm over dimension 1: x / sqrt(mean_c(x²) + 1e-8). First layer of the generator's mapping network.</summary>
public sealed class PixelNorm : nn.Module<Tensor, Tensor>
{
    public PixelNorm() : base(nameof(PixelNorm)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var output = input * (input.square().mean([1], keepdim: true) + 1e-8).rsqrt();
        return output.MoveToOuterDisposeScope();
    }
}
