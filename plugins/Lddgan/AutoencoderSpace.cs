using LddGan.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Plugins.Lddgan;

/// <summary>
/// LDDGAN's space: the latents of a trained, frozen autoencoder (any <see cref="Autoencoder"/> component), divided by a
/// scale factor so they fit the generator's tanh range. Encoding and decoding run in eval mode without gradients; decoding
/// multiplies by the scale factor, decodes (a VQ model quantises here) and clamps to [-1, 1], as the reference sampler.
/// Latents are computed on the fly from each batch.
/// </summary>
public sealed class AutoencoderSpace : IAutoencoderLatentSpace
{
    private readonly Autoencoder _autoencoder;

    public double ScaleFactor { get; }
    public string CheckpointPath { get; }

    public AutoencoderSpace(Autoencoder autoencoder, double scaleFactor, string checkpointPath)
    {
        _autoencoder = autoencoder;
        ScaleFactor = scaleFactor;
        CheckpointPath = checkpointPath;
        _autoencoder.eval();
        foreach (var p in _autoencoder.parameters()) p.requires_grad = false;
    }

    public Autoencoder Autoencoder => _autoencoder;

    public SampleShape LatentShape(SampleShape dataShape) => _autoencoder.LatentShape(dataShape);

    public Tensor Encode(Tensor data)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return (_autoencoder.Encode(data) / ScaleFactor).MoveToOuterDisposeScope();
    }

    public Tensor Decode(Tensor latent)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return _autoencoder.Decode(latent * ScaleFactor).clamp(-1.0, 1.0).MoveToOuterDisposeScope();
    }

    public void MoveTo(Device device) => _autoencoder.to(device);

    public void Dispose() => _autoencoder.Dispose();
}

/// <summary>Options of the <c>autoencoder</c> latent space.</summary>
public sealed record AutoencoderSpaceOptions : IValidatableOptions
{
    /// <summary>The trained autoencoder: its run directory or a .ckpt file (relative paths: from the working directory).</summary>
    public string Checkpoint { get; init; } = "";

    /// <summary>
    /// Latents are divided by this (the reference's hand-picked max |latent|: CIFAR-10 105, CelebA-HQ 6, LSUN 60);
    /// 0: the max |latent| measured at the end of the autoencoder's training, stored in its checkpoint. Check the latents'
    /// spread: the shipped Fashion-MNIST autoencoder's max |latent| leaves them with std 0.065, where the discriminator
    /// learns nothing; 0.3 gives them the pixels' std 0.66 (docs/quality-experiments.md). <c>recipes/latent-scale.csx</c>
    /// measures any autoencoder's latents and prints the factor for the pixels' spread, unit variance and max |latent|.
    /// </summary>
    public double ScaleFactor { get; init; }

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Checkpoint))
            yield return "checkpoint must name a trained autoencoder (its run directory or .ckpt file), e.g. \"runs/lddgan-fashion-mnist-autoencoder\"";
        if (ScaleFactor < 0 || double.IsNaN(ScaleFactor) || double.IsInfinity(ScaleFactor))
            yield return $"scale_factor must be positive, or 0 for the value stored in the autoencoder's checkpoint; got {ScaleFactor}";
    }
}

[Component(ComponentKind.LatentSpace, "autoencoder",
    Description = "LDDGAN: latents of a trained, frozen autoencoder, divided by scale_factor; decoding quantises (VQ), decodes and clamps.")]
public sealed class AutoencoderSpaceFactory : ComponentFactory<AutoencoderSpaceOptions, AutoencoderSpace>
{
    public override AutoencoderSpace Create(AutoencoderSpaceOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var loader = context.Autoencoders
            ?? throw new InvalidOperationException("the autoencoder latent space needs the host's autoencoder loader (build it through the engine)");
        var trained = loader.Load(options.Checkpoint, context.DataShape);
        var autoencoder = trained.Autoencoder;
        string path = trained.CheckpointPath;
        double scale = options.ScaleFactor > 0 ? options.ScaleFactor
            : trained.LatentMaxAbs ?? throw new ArgumentException(
                $"scale_factor = 0 asks for the value stored in {path}, which has none (training did not finish): set [latent] scale_factor");
        if (context.Device.type != TorchSharp.DeviceType.CPU) autoencoder.to(context.Device);
        return new AutoencoderSpace(autoencoder, scale, path);
    }
}
