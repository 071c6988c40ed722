using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// Which of the two reference Haar libraries' channel order to follow. LL and HH agree; the two middle bands are
/// swapped (reference-models §6.1), and released WDDGAN checkpoints were trained with one or the other.
/// </summary>
public enum HaarBandOrder
{
    /// <summary>pytorch_wavelets <c>DWTForward(J=1, wave='haar')</c>: [LL, (a+b−c−d)/2, (a−b+c−d)/2, HH] (CIFAR-10, STL-10, CelebA-HQ 512, LSUN).</summary>
    PytorchWavelets,
    /// <summary>WaveCNet's <c>DWT_2D('haar')</c>: [LL, LH = (a−b+c−d)/2, HL = (a+b−c−d)/2, HH] (CelebA-HQ 256 and 1024; the generator's internal ops).</summary>
    WaveCnet,
}

/// <summary>
/// Single-level orthonormal 2-D Haar transform of every 2×2 block [[a, b], [c, d]]:
/// LL = (a+b+c+d)/2, HH = (a−b−c+d)/2 and the two detail bands, concatenated band-major on the channel axis
/// (B, C, H, W) ↔ (B, 4C, H/2, W/2). Exactly invertible; pure tensor arithmetic, so gradients flow both ways.
/// </summary>
public static class HaarWavelet
{
    public static Tensor Forward(Tensor x, HaarBandOrder order = HaarBandOrder.PytorchWavelets)
    {
        var (ll, lr, tb, hh) = Bands(x);
        using var scope = NewDisposeScope();
        var result = order == HaarBandOrder.PytorchWavelets ? cat([ll, tb, lr, hh], 1) : cat([ll, lr, tb, hh], 1);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The four bands (LL, left−right (a−b+c−d)/2, top−bottom (a+b−c−d)/2, HH), each (B, C, H/2, W/2).</summary>
    public static (Tensor LL, Tensor LeftRight, Tensor TopBottom, Tensor HH) Bands(Tensor x)
    {
        if (x.dim() != 4 || x.shape[2] % 2 != 0 || x.shape[3] % 2 != 0)
            throw new ArgumentException($"the Haar transform needs (B, C, H, W) with even H and W, got [{string.Join(", ", x.shape)}]");
        long b = x.shape[0], c = x.shape[1], h = x.shape[2] / 2, w = x.shape[3] / 2;
        using var scope = NewDisposeScope();
        var blocks = x.reshape(b, c, h, 2, w, 2);
        var p = blocks.select(3, 0).select(4, 0); var q = blocks.select(3, 0).select(4, 1);   // a, b (top row)
        var r = blocks.select(3, 1).select(4, 0); var s = blocks.select(3, 1).select(4, 1);   // c, d (bottom row)
        var ll = ((p + q + r + s) * 0.5).MoveToOuterDisposeScope();
        var lr = ((p - q + r - s) * 0.5).MoveToOuterDisposeScope();
        var tb = ((p + q - r - s) * 0.5).MoveToOuterDisposeScope();
        var hh = ((p - q - r + s) * 0.5).MoveToOuterDisposeScope();
        return (ll, lr, tb, hh);
    }

    public static Tensor Inverse(Tensor y, HaarBandOrder order = HaarBandOrder.PytorchWavelets)
    {
        if (y.dim() != 4 || y.shape[1] % 4 != 0)
            throw new ArgumentException($"the inverse Haar transform needs (B, 4C, h, w), got [{string.Join(", ", y.shape)}]");
        using var scope = NewDisposeScope();
        var bands = y.chunk(4, 1);
        var (ll, hh) = (bands[0], bands[3]);
        var (lr, tb) = order == HaarBandOrder.PytorchWavelets ? (bands[2], bands[1]) : (bands[1], bands[2]);
        return FromBands(ll, lr, tb, hh).MoveToOuterDisposeScope();
    }

    /// <summary>Rebuilds (B, C, 2h, 2w) from the four bands (the transform is orthonormal: its transpose is its inverse).</summary>
    public static Tensor FromBands(Tensor ll, Tensor leftRight, Tensor topBottom, Tensor hh)
    {
        using var scope = NewDisposeScope();
        var a = (ll + leftRight + topBottom + hh) * 0.5;
        var b = (ll - leftRight + topBottom - hh) * 0.5;
        var c = (ll + leftRight - topBottom - hh) * 0.5;
        var d = (ll - leftRight - topBottom + hh) * 0.5;
        long n = ll.shape[0], ch = ll.shape[1], h = ll.shape[2], w = ll.shape[3];
        var top = stack([a, b], -1).reshape(n, ch, h, 2 * w);
        var bottom = stack([c, d], -1).reshape(n, ch, h, 2 * w);
        return stack([top, bottom], 3).reshape(n, ch, 2 * h, 2 * w).MoveToOuterDisposeScope();
    }
}
