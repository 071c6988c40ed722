using LddGan.Abstractions;
using LddGan.Engine.Checkpoints;
using LddGan.Engine.Components;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Latent;

/// <summary>
/// LDDGAN's space: the latents of a trained, frozen autoencoder (any <see cref="Autoencoder"/> component), divided by a
/// scale factor so they fit the generator's tanh range. Encoding and decoding run in eval mode without gradients; decoding
/// multiplies by the scale factor, decodes (a VQ model quantises here) and clamps to [-1, 1], as the reference sampler.
/// Latents are computed on the fly from each batch.
/// </summary>
public sealed class AutoencoderSpace : ILatentSpace
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
    /// 0: the max |latent| measured at the end of the autoencoder's training, stored in its checkpoint.
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
        var catalog = context.Services?.GetService(typeof(ComponentCatalog)) as ComponentCatalog
            ?? throw new InvalidOperationException("the autoencoder latent space needs the host's component catalog (build it through the engine)");
        string path = Path.GetFullPath(SamplingSession.ResolveCheckpointPath(options.Checkpoint));
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"[latent] checkpoint: no autoencoder checkpoint at {path}. Train one first (lddgan train recipes/lddgan-fashion-mnist-autoencoder.toml) " +
                "or point checkpoint at a run directory or .ckpt file (relative paths are taken from the working directory).", path);
        using var reader = CheckpointFile.Open(path);
        var meta = reader.Meta;
        AutoencoderRecipe recipe;
        try { recipe = new AutoencoderRecipeLoader(catalog).Parse(reader.RecipeToml, $"{path}!{CheckpointFile.RecipeEntry}"); }
        catch (RecipeException e) { throw new CheckpointException($"{path}: not an autoencoder checkpoint usable here:{Environment.NewLine}{e.Message}", e); }
        if (meta.DataShape != context.DataShape)
            throw new ArgumentException($"the autoencoder in {path} was trained on data of shape {meta.DataShape}, but this run's data has shape {context.DataShape}");
        double scale = options.ScaleFactor > 0 ? options.ScaleFactor
            : meta.LatentMaxAbs ?? throw new ArgumentException(
                $"scale_factor = 0 asks for the value stored in {path}, which has none (training did not finish): set [latent] scale_factor");
        var autoencoder = new ComponentBuilder(catalog).Build<Autoencoder>(recipe.Autoencoder, new ComponentContext(meta.DataShape, meta.DataShape, 0, CPU));
        reader.LoadModule("autoencoder", autoencoder);
        if (context.Device.type != TorchSharp.DeviceType.CPU) autoencoder.to(context.Device);
        return new AutoencoderSpace(autoencoder, scale, path);
    }
}
