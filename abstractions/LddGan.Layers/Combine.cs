using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// Merges the input pyramid into the main path for <c>progressive_input = input_skip</c> (<c>layerspp.Combine</c>):
/// h = Conv_0(x) (1×1, DDPM init), then cat([h, y]) or h + y.
/// </summary>
public sealed class Combine : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // official state-dict names
    private readonly Conv2d Conv_0;
#pragma warning restore IDE1006

    /// <summary>True to concatenate along channels ("cat"), false to add ("sum").</summary>
    public bool Concatenate { get; }

    public Combine(long dim1, long dim2, bool concatenate) : base(nameof(Combine))
    {
        Conv_0 = DdpmInit.Conv1x1(dim1, dim2);
        Concatenate = concatenate;
        RegisterComponents();
    }

    /// <param name="x">The pyramid input (B, dim1, H, W).</param>
    /// <param name="y">The main path (B, dim2, H, W).</param>
    public override Tensor forward(Tensor x, Tensor y)
    {
        using var h = Conv_0.call(x);
        return Concatenate ? cat([h, y], 1) : h + y;
    }
}
