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
}
