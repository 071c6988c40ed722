using static TorchSharp.torch;

namespace LddGan.Tests.Process;

internal static class TensorCompare
{
    /// <summary>Same shape and bitwise-equal elements (TorchSharp's <c>Tensor.equal</c> is element-wise).</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var eq = a.eq(b);
        using var all = eq.all();
        return all.item<bool>();
    }
}
