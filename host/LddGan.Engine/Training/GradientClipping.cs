using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Training;

/// <summary>
/// Gradient-norm clipping without a host synchronisation: the arithmetic of libtorch's
/// <c>torch::nn::utils::clip_grad_norm_</c> (L2 norm of the per-parameter gradient norms, coefficient
/// max_norm / (norm + 1e-6) clamped at 1, gradients multiplied in place), which reads the total norm back to the host
/// to return it and so waits for a GPU at every step. Same results bit for bit on the CPU (tested against it).
/// </summary>
public static class GradientClipping
{
    /// <summary>Scales the gradients of <paramref name="parameters"/> so that their joint L2 norm is at most <paramref name="maxNorm"/>.</summary>
    public static void ClipGradNorm(IEnumerable<TorchSharp.Modules.Parameter> parameters, double maxNorm)
    {
        using var scope = NewDisposeScope();   // every access to .grad makes a handle
        using var _ = no_grad();
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return;
        var norms = grads.Select(g => g.norm(2.0f)).ToList();   // p = 2 (an int argument would be a dimension)
        var total = norms.Count == 1 ? norms[0] : stack(norms).norm(2.0f);
        var coefficient = full_like(total, maxNorm).div_(total + 1e-6).clamp_max_(1.0);
        foreach (var g in grads) g.mul_(coefficient);
    }
}
