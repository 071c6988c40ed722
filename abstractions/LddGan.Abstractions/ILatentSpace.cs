using static TorchSharp.torch;

namespace LddGan.Abstractions;

/// <summary>
/// The space where the diffusion GAN runs: pixels (identity), Haar wavelet bands, or a pretrained autoencoder's latents.
/// Encode maps data to latents; Decode maps latents back to data. Image data live in [-1, 1] and Decode clamps them
/// there; vector data (the 2-D toy) keep their dataset's own range.
/// A latent space is frozen during GAN training.
/// </summary>
public interface ILatentSpace : IDisposable
{
    SampleShape LatentShape(SampleShape dataShape);
    Tensor Encode(Tensor data);
    Tensor Decode(Tensor latent);
    void MoveTo(Device device);
}
