using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LddGan.Layers;

/// <summary>
/// Affine GroupNorm with PyTorch's initial values. TorchSharp 0.107's <c>nn.GroupNorm</c> allocates its affine
/// weight and bias with <c>torch.empty</c> and never fills them (PyTorch starts at weight 1, bias 0), so a fresh
/// module holds whatever the allocator returned — zeros, garbage, sometimes NaN. Always build affine GroupNorms here.
/// </summary>
public static class GroupNorms
{
    /// <summary>An affine <c>nn.GroupNorm</c> with weight 1 and bias 0.</summary>
    public static GroupNorm Affine(long numGroups, long numChannels, double eps = 1e-5)
    {
        var norm = nn.GroupNorm(numGroups, numChannels, eps: eps, affine: true);
        using (no_grad())
        {
            norm.weight.fill_(1.0);
            norm.bias!.zero_();
        }
        return norm;
    }
}
