using static TorchSharp.torch;

namespace LddGan.Abstractions;

/// <summary>
/// The space where the diffusion GAN runs: pixels (identity), Haar wavelet bands, or a pretrained autoencoder's latents.
/// Encode maps data in [-1, 1] to latents; Decode maps latents back to data, clamped to [-1, 1].
/// A latent space is frozen during GAN training.
/// </summary>
public interface ILatentSpace : IDisposable
{
    SampleShape LatentShape(SampleShape dataShape);
    Tensor Encode(Tensor data);
    Tensor Decode(Tensor latent);
    void MoveTo(Device device);
}
