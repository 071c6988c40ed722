using static TorchSharp.torch;

namespace LddGan.Abstractions;

/// <summary>
/// The time-conditional discriminator D(x_t, t, x_{t+1}): judges whether x_t is a plausible
/// less-noisy version of x_{t+1}. Returns one logit per sample, shape (B, 1).
/// </summary>
public abstract class Discriminator : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    protected Discriminator(string name) : base(name) { }

    /// <summary>Number of classes of a class-conditional (projection) discriminator; 0: unconditional (since abstractions 1.5).</summary>
    public virtual int NumClasses => 0;

    /// <summary>D(x_t, t, x_{t+1}) with class labels (int64, shape (B)); only when <see cref="NumClasses"/> &gt; 0 (since abstractions 1.5).</summary>
    public virtual Tensor forward(Tensor x, Tensor t, Tensor xNext, Tensor classLabels) =>
        throw new NotSupportedException($"{GetName()} is not class-conditional (NumClasses = 0): it cannot take class labels.");
}
