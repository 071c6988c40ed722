using static TorchSharp.torch;

namespace LddGan.Abstractions;

/// <summary>
/// The generator of a denoising diffusion GAN: G(x_{t+1}, t, z) predicts x_0.
/// <para>
/// <c>t</c> is the integer index (int64, shape (B)) of the <b>target</b> (less noisy) state, as in the official code;
/// <c>z</c> is latent noise of shape (B, <see cref="NoiseDim"/>), drawn fresh at every sampling step.
/// </para>
/// </summary>
public abstract class Denoiser : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    protected Denoiser(string name) : base(name) { }

    /// <summary>Dimension of the latent noise z (the official <c>nz</c>).</summary>
    public abstract int NoiseDim { get; }

    /// <summary>
    /// Number of classes the network can be conditioned on (0: unconditional). Labels run 0 … NumClasses − 1; the label
    /// NumClasses means "no class", which classifier-free guidance trains and samples with (since abstractions 1.5).
    /// </summary>
    public virtual int NumClasses => 0;

    /// <summary>
    /// The network conditioned on class labels (int64, shape (B), values 0 … <see cref="NumClasses"/>); only for a
    /// network with <see cref="NumClasses"/> &gt; 0 (since abstractions 1.5).
    /// </summary>
    public virtual Tensor forward(Tensor x, Tensor t, Tensor z, Tensor classLabels) =>
        throw new NotSupportedException($"{GetName()} is not class-conditional (NumClasses = 0): it cannot take class labels.");
}
