using static TorchSharp.torch;

namespace LddGan.Abstractions;

/// <summary>The outputs of an autoencoder's training forward pass.</summary>
/// <param name="Reconstruction">The decoded images, (B, C, H, W).</param>
/// <param name="AuxiliaryLoss">A scalar the model adds to its own objective: codebook + commitment loss for a VQ model, zero otherwise.</param>
public sealed record AutoencoderOutput(Tensor Reconstruction, Tensor AuxiliaryLoss) : IDisposable
{
    public void Dispose()
    {
        Reconstruction.Dispose();
        AuxiliaryLoss.Dispose();
    }
}

/// <summary>
/// A first-stage autoencoder for latent diffusion GANs (LDDGAN): trained on its own first, then frozen, and used as the
/// latent space of the diffusion GAN. <see cref="Encode"/> gives the continuous latent the GAN models (for a VQ model:
/// <c>quant_conv(encoder(x))</c>, before quantisation), <see cref="Decode"/> maps such a latent back to an image (for a
/// VQ model: quantise → <c>post_quant_conv</c> → decoder, LDM's <c>VQModelInterface.decode</c>).
/// </summary>
public abstract class Autoencoder : nn.Module
{
    protected Autoencoder(string name) : base(name) { }

    /// <summary>The shape of the latent of one data sample.</summary>
    public abstract SampleShape LatentShape(SampleShape dataShape);

    /// <summary>Images in [-1, 1], (B, C, H, W) → latents (B, c, h, w), unscaled.</summary>
    public abstract Tensor Encode(Tensor images);

    /// <summary>Latents → images (not clamped).</summary>
    public abstract Tensor Decode(Tensor latents);

    /// <summary>The training forward pass: encode, (quantise,) decode.</summary>
    public abstract AutoencoderOutput Reconstruct(Tensor images);

    /// <summary>For quantising models: the codebook index of every latent position of the images, (B, h, w); null otherwise.</summary>
    public virtual Tensor? CodeIndices(Tensor images) => null;

    /// <summary>The weight of the decoder's last layer, against which VQGAN balances its adversarial term (the adaptive weight).</summary>
    public abstract TorchSharp.Modules.Parameter LastLayerWeight { get; }
}

/// <summary>A discriminator on images for autoencoder training: (B, C, H, W) → a map of patch logits (B, 1, h, w).</summary>
public abstract class ImageDiscriminator : nn.Module<Tensor, Tensor>
{
    protected ImageDiscriminator(string name) : base(name) { }
}

/// <summary>
/// A perceptual distance between two batches of images in [-1, 1] (LPIPS-style): (x, y) → one non-negative value per
/// sample, shape (B). Its weights are fixed; it is never trained with the model that uses it.
/// </summary>
public abstract class PerceptualLoss : nn.Module<Tensor, Tensor, Tensor>
{
    protected PerceptualLoss(string name) : base(name) { }
}

/// <summary>A trained autoencoder read back from its checkpoint (on the CPU, weights loaded).</summary>
/// <param name="CheckpointPath">The full path of the checkpoint it was read from.</param>
/// <param name="LatentMaxAbs">The max |latent| measured at the end of its training; null when training did not finish.</param>
public sealed record TrainedAutoencoder(Autoencoder Autoencoder, string CheckpointPath, double? LatentMaxAbs);

/// <summary>
/// Reads trained autoencoders (since abstractions 1.2): what the host hands a latent-space factory that wraps LDDGAN's
/// first stage, in place of the host itself.
/// </summary>
public interface ITrainedAutoencoderLoader
{
    /// <param name="checkpoint">A .ckpt file or a run directory (then its latest checkpoint); relative to the working directory.</param>
    /// <param name="dataShape">The run's data shape: an autoencoder trained on data of another shape is refused.</param>
    TrainedAutoencoder Load(string checkpoint, SampleShape dataShape);
}

/// <summary>
/// A latent space made of a trained autoencoder (LDDGAN's): sampling decodes through <see cref="Autoencoder"/>, so the
/// host counts its parameters and FLOPs with G's and exports it with the checkpoint (since abstractions 1.3).
/// </summary>
public interface IAutoencoderLatentSpace : ILatentSpace
{
    /// <summary>The frozen autoencoder whose latents the generator models.</summary>
    Autoencoder Autoencoder { get; }
    /// <summary>Latents are divided by this before the diffusion GAN sees them, multiplied back before decoding.</summary>
    double ScaleFactor { get; }
    /// <summary>The checkpoint the autoencoder was read from.</summary>
    string CheckpointPath { get; }
}
