using LddGan.Abstractions;
using LddGan.Engine.Checkpoints;
using LddGan.Engine.Components;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runtime;
using static TorchSharp.torch;

namespace LddGan.Engine.Sessions;

/// <summary>
/// Loads a checkpoint (its recipe rebuilds the components; no dataset needed) and samples with the EMA generator
/// when the checkpoint has one, as the official releases do.
/// </summary>
public sealed class SamplingSession : IDisposable
{
    private readonly ILatentSpace _latent;
    private readonly IDiffusionProcess _process;
    private readonly Denoiser _generator;
    private readonly Discriminator _discriminator;
    private readonly SampleRenderer _renderer;

    public Recipe Recipe { get; }
    public CheckpointMeta Meta { get; }
    public string CheckpointPath { get; }
    public bool UsesEma { get; }
    public int NumTimesteps => _process.NumTimesteps;

    /// <summary>A .ckpt file, or a run directory (then its checkpoints/latest.ckpt).</summary>
    public static string ResolveCheckpointPath(string pathOrRun) =>
        Directory.Exists(pathOrRun) ? Path.Combine(pathOrRun, "checkpoints", TrainingSession.LatestCheckpointName) : pathOrRun;

    public SamplingSession(string checkpointOrRun, ComponentCatalog catalog, string? device = null)
    {
        CheckpointPath = ResolveCheckpointPath(checkpointOrRun);
        using var reader = CheckpointFile.Open(CheckpointPath);
        Meta = reader.Meta;
        try
        {
            Recipe = new RecipeLoader(catalog).Parse(reader.RecipeToml, $"{CheckpointPath}!{CheckpointFile.RecipeEntry}");
        }
        catch (RecipeException e) when (IsAutoencoderRecipe(reader.RecipeToml))
        {
            throw new CheckpointException(
                $"{CheckpointPath} is an autoencoder (first-stage) checkpoint: it encodes and decodes images and does not sample. " +
                "Sample or evaluate the LDDGAN diffusion-GAN checkpoint trained in its latent space (e.g. recipes/pretrained/lddgan-fashion-mnist.ckpt); " +
                "the autoencoder's reconstruction report is printed at the end of its training.", e);
        }
        catch (RecipeException e)
        {
            throw new CheckpointException($"{CheckpointPath}: its recipe cannot be used with the loaded plugins:{Environment.NewLine}{e.Message}", e);
        }
        var torchDevice = DeviceSelection.Resolve(device ?? Recipe.Device, Recipe.Runtime);
        var (latent, process, generator, _, discriminator, _) =
            TrainingSession.BuildModelComponents(new ComponentBuilder(catalog), Recipe, Meta.DataShape, torchDevice, withEma: false);
        (_latent, _process, _generator, _discriminator) = (latent, process, generator, discriminator);
        UsesEma = reader.HasModule("generator_ema");
        reader.LoadModule(UsesEma ? "generator_ema" : "generator", _generator);
        _generator.eval();
        _renderer = new SampleRenderer(_process, _latent, _latent.LatentShape(Meta.DataShape), torchDevice);
    }

    private static bool IsAutoencoderRecipe(string toml)
    {
        try { return RecipeDocument.ParseToml(toml, "recipe").ContainsKey("autoencoder"); }
        catch (RecipeException) { return false; }
    }

    public Denoiser Generator => _generator;
    public ILatentSpace LatentSpace => _latent;

    public Tensor Generate(int count, long seed, int batchSize) => _renderer.Generate(_generator, count, seed, batchSize);

    /// <summary>The samples of <see cref="Generate"/>, one decoded CPU batch at a time.</summary>
    public IEnumerable<Tensor> GenerateBatches(int count, long seed, int batchSize) => _renderer.GenerateBatches(_generator, count, seed, batchSize);

    public void Dispose()
    {
        _generator.Dispose();
        _discriminator.Dispose();
        _process.Dispose();
        _latent.Dispose();
    }
}
