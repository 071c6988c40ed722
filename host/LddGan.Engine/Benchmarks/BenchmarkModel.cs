using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Latent;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runtime;
using LddGan.Engine.Sessions;
using static TorchSharp.torch;

namespace LddGan.Engine.Benchmarks;

/// <summary>
/// A model to time: a trained checkpoint (or run directory), sampled with its EMA generator, or a diffusion-GAN recipe
/// (.toml), whose generator is built untrained (time and FLOPs do not depend on the weights' values; an autoencoder latent
/// space still needs its trained autoencoder, which the recipe names).
/// </summary>
public sealed class BenchmarkModel : IDisposable
{
    private readonly Func<int, long, int, Tensor> _generate;
    private readonly Action _dispose;

    private BenchmarkModel(string label, string source, bool trained, Recipe recipe, Denoiser generator, ILatentSpace latent,
                           int nfe, SampleShape latentShape, Device device, Func<int, long, int, Tensor> generate, Action dispose)
    {
        (Label, Source, Trained, Recipe, Generator, LatentSpace, Nfe, LatentShape, Device) =
            (label, source, trained, recipe, generator, latent, nfe, latentShape, device);
        _generate = generate;
        _dispose = dispose;
    }

    public string Label { get; }
    public string Source { get; }
    /// <summary>False for a recipe's freshly built generator.</summary>
    public bool Trained { get; }
    public Recipe Recipe { get; }
    public Denoiser Generator { get; }
    public ILatentSpace LatentSpace { get; }
    /// <summary>Generator evaluations per sample.</summary>
    public int Nfe { get; }
    public SampleShape LatentShape { get; }
    public Device Device { get; }

    /// <summary>A .toml recipe builds an untrained model; anything else is a checkpoint or run directory.</summary>
    public static BenchmarkModel Load(string checkpointOrRecipe, ComponentCatalog catalog, string? device = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (!File.Exists(checkpointOrRecipe) && !Directory.Exists(checkpointOrRecipe))
            throw new LddGan.Engine.Evaluation.EvaluationException(
                $"{checkpointOrRecipe}: not found. Pass a checkpoint (.ckpt), a run directory (runs/<name>) or a diffusion-GAN recipe (.toml).");
        if (checkpointOrRecipe.EndsWith(".toml", StringComparison.OrdinalIgnoreCase) && File.Exists(checkpointOrRecipe))
            return FromRecipe(checkpointOrRecipe, catalog, device);
        var session = new SamplingSession(checkpointOrRecipe, catalog, device);
        var torchDevice = DeviceSelection.Resolve(device ?? session.Recipe.Device, session.Recipe.Runtime);
        var latentShape = session.LatentSpace.LatentShape(session.Meta.DataShape);
        return new BenchmarkModel(session.Recipe.Name, Path.GetFullPath(session.CheckpointPath), trained: true, session.Recipe,
            session.Generator, session.LatentSpace, session.NumTimesteps, latentShape, torchDevice,
            session.Generate, session.Dispose);
    }

    private static BenchmarkModel FromRecipe(string path, ComponentCatalog catalog, string? device)
    {
        if (RecipeLoader.IsAutoencoderRecipe(path))
            throw new LddGan.Engine.Evaluation.EvaluationException(
                $"{path} is an autoencoder (first-stage) recipe; bench times diffusion-GAN sampling: pass the diffusion-GAN recipe or checkpoint that uses it.");
        var recipe = new RecipeLoader(catalog).LoadFile(path);
        var torchDevice = DeviceSelection.Resolve(device ?? recipe.Device, recipe.Runtime);
        var builder = new ComponentBuilder(catalog);
        SampleShape dataShape;
        using (var dataset = builder.Build<IDataset>(recipe.Data, new ComponentContext(default, default, 0, torchDevice))) dataShape = dataset.Shape;
        var (latent, process, generator, _, discriminator, _) =
            TrainingSession.BuildModelComponents(builder, recipe, dataShape, torchDevice, withEma: false);
        discriminator.Dispose();
        generator.eval();
        var latentShape = latent.LatentShape(dataShape);
        var renderer = new SampleRenderer(process, latent, latentShape, torchDevice);
        return new BenchmarkModel($"{recipe.Name} (untrained)", Path.GetFullPath(path), trained: false, recipe, generator, latent,
            process.NumTimesteps, latentShape, torchDevice, (count, seed, batch) => renderer.Generate(generator, count, seed, batch), () => { generator.Dispose(); process.Dispose(); latent.Dispose(); });
    }

    /// <summary>Decoded samples on the CPU (the copy to the CPU also waits for a GPU to finish).</summary>
    public Tensor Generate(int count, long seed, int batchSize) => _generate(count, seed, batchSize);

    public long GeneratorParameters => Generator.parameters().Sum(p => p.numel());

    /// <summary>
    /// Parameters sampling runs through after the generator: an autoencoder's decoder, counted as the parameters named
    /// <c>decoder.*</c> and <c>post_quant_conv.*</c> (the LDM layout, as the LDDGAN paper counts them); 0 for pixel or Haar spaces.
    /// </summary>
    public long DecoderParameters => LatentSpace is AutoencoderSpace ae
        ? ae.Autoencoder.named_parameters().Where(p => p.name.StartsWith("decoder.", StringComparison.Ordinal) ||
                                                       p.name.StartsWith("post_quant_conv.", StringComparison.Ordinal)).Sum(p => p.parameter.numel())
        : 0;

    /// <summary>The modules sampling runs: the generator, and the autoencoder when the latent space has one.</summary>
    public IReadOnlyList<nn.Module> SamplingModules => LatentSpace is AutoencoderSpace ae ? [Generator, ae.Autoencoder] : [Generator];

    public void Dispose() => _dispose();
}
