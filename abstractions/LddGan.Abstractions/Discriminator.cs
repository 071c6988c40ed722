using static TorchSharp.torch;

namespace LddGan.Abstractions;

/// <summary>
/// The time-conditional discriminator D(x_t, t, x_{t+1}): judges whether x_t is a plausible
/// less-noisy version of x_{t+1}. Returns one logit per sample, shape (B, 1).
/// </summary>
public abstract class Discriminator : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    protected Discriminator(string name) : base(name) { }
}
