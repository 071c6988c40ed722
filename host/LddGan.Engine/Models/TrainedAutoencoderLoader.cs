using LddGan.Abstractions;
using LddGan.Engine.Checkpoints;
using LddGan.Engine.Components;
using LddGan.Engine.Recipes;
using static TorchSharp.torch;

namespace LddGan.Engine.Models;

/// <summary>
/// The host's <see cref="ITrainedAutoencoderLoader"/>: reads an autoencoder checkpoint's recipe, rebuilds the
/// autoencoder through the catalog and loads its weights. Errors name the checkpoint and what to do.
/// </summary>
public sealed class TrainedAutoencoderLoader(ComponentCatalog catalog) : ITrainedAutoencoderLoader
{
    public TrainedAutoencoder Load(string checkpoint, SampleShape dataShape)
    {
        string path = Path.GetFullPath(CheckpointFile.ResolvePath(checkpoint));
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"[latent] checkpoint: no autoencoder checkpoint at {path}. Train one first (lddgan train recipes/lddgan-fashion-mnist-autoencoder.toml) " +
                "or point checkpoint at a run directory or .ckpt file (relative paths are taken from the working directory).", path);
        using var reader = CheckpointFile.Open(path);
        var meta = reader.Meta;
        AutoencoderRecipe recipe;
        try { recipe = new AutoencoderRecipeLoader(catalog).Parse(reader.RecipeToml, $"{path}!{CheckpointFile.RecipeEntry}"); }
        catch (RecipeException e) { throw new CheckpointException($"{path}: not an autoencoder checkpoint usable here:{Environment.NewLine}{e.Message}", e); }
        if (meta.DataShape != dataShape)
            throw new ArgumentException($"the autoencoder in {path} was trained on data of shape {meta.DataShape}, but this run's data has shape {dataShape}");
        var autoencoder = new ComponentBuilder(catalog).Build<Autoencoder>(recipe.Autoencoder, new ComponentContext(meta.DataShape, meta.DataShape, 0, CPU));
        try { reader.LoadModule("autoencoder", autoencoder); }
        catch { autoencoder.Dispose(); throw; }
        return new TrainedAutoencoder(autoencoder, path, meta.LatentMaxAbs);
    }
}
