using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Models;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runtime;
using static TorchSharp.torch;

namespace LddGan.Evaluation.Benchmarks;

/// <summary>
/// A model to time: a trained checkpoint (or run directory), sampled with its EMA generator, or a diffusion-GAN recipe
/// (.toml), whose generator is built untrained (time and FLOPs do not depend on the weights' values; an autoencoder latent
/// space still needs its trained autoencoder, which the recipe names).
/// </summary>
public sealed class BenchmarkModel : IDisposable
{
    private readonly DiffusionModel _model;
    private readonly LddGan.Engine.Diffusion.GaussianSamplerSettings? _sampling;

    private BenchmarkModel(string label, string source, bool trained, DiffusionModel model, LddGan.Engine.Diffusion.GaussianSamplerSettings? sampling)
    {
        (Source, Trained, _model, _sampling) = (source, trained, model, sampling);
        // A Gaussian model's label says how it samples: its rows differ by sampler, not by checkpoint.
        Label = model.GaussianProcess is null ? label : $"{label} ({(sampling ?? model.Recipe.Sample.GaussianSampler).Describe(model.NumTimesteps)})";
    }

    public string Label { get; }
    public string Source { get; }
    /// <summary>False for a recipe's freshly built generator.</summary>
    public bool Trained { get; }
    public Recipe Recipe => _model.Recipe;
    public Denoiser Generator => _model.SamplingGenerator;
    public ILatentSpace LatentSpace => _model.LatentSpace;
    /// <summary>Generator evaluations per sample.</summary>
    public int Nfe => _model.NumFunctionEvaluations(_sampling);
    public SampleShape LatentShape => _model.LatentShape;
    public Device Device => _model.Device;

    /// <summary>A .toml recipe builds an untrained model; anything else is a checkpoint or run directory.</summary>
    public static BenchmarkModel Load(string checkpointOrRecipe, ComponentCatalog catalog, string? device = null,
                                      LddGan.Engine.Diffusion.GaussianSamplerSettings? sampling = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (!File.Exists(checkpointOrRecipe) && !Directory.Exists(checkpointOrRecipe))
            throw new LddGan.Evaluation.EvaluationException(
                $"{checkpointOrRecipe}: not found. Pass a checkpoint (.ckpt), a run directory (runs/<name>) or a diffusion-GAN recipe (.toml).");
        if (checkpointOrRecipe.EndsWith(".toml", StringComparison.OrdinalIgnoreCase) && File.Exists(checkpointOrRecipe))
            return FromRecipe(checkpointOrRecipe, catalog, device, sampling);
        var model = DiffusionModel.Load(checkpointOrRecipe, catalog, device);
        return new BenchmarkModel(model.Recipe.Name, Path.GetFullPath(model.CheckpointPath!), trained: true, model, sampling);
    }

    private static BenchmarkModel FromRecipe(string path, ComponentCatalog catalog, string? device, LddGan.Engine.Diffusion.GaussianSamplerSettings? sampling)
    {
        var document = RecipeDocument.Read(path);
        if (document.IsAutoencoder)
            throw new LddGan.Evaluation.EvaluationException(
                $"{path} is an autoencoder (first-stage) recipe; bench times diffusion-GAN sampling: pass the diffusion-GAN recipe or checkpoint that uses it.");
        var recipe = new RecipeLoader(catalog).Bind(document);
        var torchDevice = DeviceSelection.Resolve(device ?? recipe.Device, recipe.Runtime);
        var builder = DiffusionModel.ComponentBuilderFor(catalog);
        SampleShape dataShape;
        using (var dataset = builder.Build<IDataset>(recipe.Data, new ComponentContext(default, default, recipe.NumTimesteps, torchDevice))) dataShape = dataset.Shape;
        var model = DiffusionModel.Build(builder, recipe, dataShape, torchDevice, ModelUse.Sampling);
        model.Generator.eval();
        return new BenchmarkModel($"{recipe.Name} (untrained)", Path.GetFullPath(path), trained: false, model, sampling);
    }

    /// <summary>Decoded samples on the CPU (the copy to the CPU also waits for a GPU to finish).</summary>
    public Tensor Generate(int count, long seed, int batchSize) => _model.Sample(count, seed, batchSize, _sampling);

    public long GeneratorParameters => Generator.parameters().Sum(p => p.numel());

    /// <summary>
    /// Parameters sampling runs through after the generator: an autoencoder's decoder, counted as the parameters named
    /// <c>decoder.*</c> and <c>post_quant_conv.*</c> (the LDM layout, as the LDDGAN paper counts them); 0 for pixel or Haar spaces.
    /// </summary>
    public long DecoderParameters => LatentSpace is IAutoencoderLatentSpace ae
        ? ae.Autoencoder.named_parameters().Where(p => p.name.StartsWith("decoder.", StringComparison.Ordinal) ||
                                                       p.name.StartsWith("post_quant_conv.", StringComparison.Ordinal)).Sum(p => p.parameter.numel())
        : 0;

    /// <summary>The modules sampling runs: the generator, and the autoencoder when the latent space has one.</summary>
    public IReadOnlyList<nn.Module> SamplingModules => LatentSpace is IAutoencoderLatentSpace ae ? [Generator, ae.Autoencoder] : [Generator];

    /// <summary>The modules that decode latents into images: the autoencoder, or none for pixel and Haar spaces.</summary>
    public IReadOnlyList<nn.Module> DecodingModules => LatentSpace is IAutoencoderLatentSpace ae ? [ae.Autoencoder] : [];

    public void Dispose() => _model.Dispose();
}
