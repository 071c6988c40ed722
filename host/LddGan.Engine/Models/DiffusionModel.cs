using LddGan.Abstractions;
using LddGan.Engine.Checkpoints;
using LddGan.Engine.Components;
using LddGan.Engine.Diffusion;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runtime;
using LddGan.Engine.Training;
using static TorchSharp.torch;

namespace LddGan.Engine.Models;

/// <summary>What a model is built for: sampling needs the generator only; training adds the EMA copy and the discriminator.</summary>
public enum ModelUse { Sampling, Training }

/// <summary>
/// A diffusion model as one object (the diffusers "pipeline"), a diffusion GAN or a Gaussian diffusion model: the
/// recipe it was built from and its parts — latent space, diffusion process, generator G, G's EMA copy,
/// discriminator D, loss schedule — placed on one device. It is built in
/// one place (<see cref="Build"/>), read from a checkpoint in one place (<see cref="Load"/>) and written in one place
/// (<see cref="Save"/>); training, sampling, import, bench, eval and scripts all go through it. It owns its parts.
/// </summary>
/// <remarks>
/// A Gaussian diffusion model (DDPM family, <c>[diffusion] type = "ddpm"</c>) is the same object without D and loss
/// schedule: its generator is the denoising network (predicting ε or v, called with z = 0), and it samples by DDPM or
/// DDIM (<see cref="GaussianSamplerSettings"/>).
/// </remarks>
public sealed class DiffusionModel : IDisposable
{
    private readonly SampleRenderer _renderer;

    /// <summary>A model from parts in hand (a script composing its own components); it owns them from now on.</summary>
    public DiffusionModel(Recipe recipe, SampleShape dataShape, Device device, ILatentSpace latentSpace, IDiffusionProcess process,
                             Denoiser generator, Denoiser? generatorEma, Discriminator? discriminator, ILossSchedule? lossSchedule)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(latentSpace);
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(generator);
        if (lossSchedule is null && process is not IGaussianDiffusion)
            throw new ArgumentNullException(nameof(lossSchedule), "a diffusion GAN needs a loss schedule.");
        (Recipe, DataShape, Device, LatentSpace, Process, Generator, GeneratorEma, Discriminator, LossSchedule) =
            (recipe, dataShape, device, latentSpace, process, generator, generatorEma, discriminator, lossSchedule);
        Meta = new CheckpointMeta { DataChannels = dataShape.Channels, DataHeight = dataShape.Height, DataWidth = dataShape.Width };
        _renderer = new SampleRenderer(process, latentSpace, LatentShape, device);
    }

    public Recipe Recipe { get; }
    public SampleShape DataShape { get; }
    public SampleShape LatentShape => LatentSpace.LatentShape(DataShape);
    public Device Device { get; }
    public ILatentSpace LatentSpace { get; }
    public IDiffusionProcess Process { get; }
    /// <summary>G. In a model loaded for sampling it holds the weights sampled: the EMA weights when the checkpoint has them.</summary>
    public Denoiser Generator { get; }
    /// <summary>The EMA copy of G (training with ema_decay &gt; 0); null otherwise.</summary>
    public Denoiser? GeneratorEma { get; }
    /// <summary>D; null in a model built for sampling.</summary>
    public Discriminator? Discriminator { get; }
    /// <summary>The GAN loss schedule; null for a Gaussian diffusion model.</summary>
    public ILossSchedule? LossSchedule { get; }
    /// <summary>T. For a diffusion GAN also the number of generator evaluations per sample (<see cref="NumFunctionEvaluations"/>).</summary>
    public int NumTimesteps => Process.NumTimesteps;
    /// <summary>A Gaussian diffusion model's process (null for a diffusion GAN).</summary>
    public IGaussianDiffusion? GaussianProcess => Process as IGaussianDiffusion;

    /// <summary>Network evaluations per sample: T for a diffusion GAN; for a Gaussian model those of its sampler (twice over when guided).</summary>
    public int NumFunctionEvaluations(GaussianSamplerSettings? sampling = null) =>
        GaussianProcess is { } gaussian ? GaussianEvaluations(gaussian, sampling ?? Recipe.Sample.GaussianSampler) : NumTimesteps;

    // Classifier-free guidance calls the network twice per step (with the labels and with "no class").
    private int GaussianEvaluations(IGaussianDiffusion process, GaussianSamplerSettings sampling) =>
        new GaussianSampler(process, sampling).NumFunctionEvaluations(guided: NumClasses > 0 && sampling.GuidanceScale is not (1.0 or 0.0));

    /// <summary>The checkpoint it was loaded from (null for a model built from a recipe).</summary>
    public string? CheckpointPath { get; private set; }
    /// <summary>The checkpoint's meta data; for a built model, only the data shape is set.</summary>
    public CheckpointMeta Meta { get; private set; }
    /// <summary>Whether <see cref="SamplingGenerator"/> holds EMA weights.</summary>
    public bool UsesEma { get; private set; }

    /// <summary>The generator that samples: the EMA copy during training, G otherwise (which holds EMA weights after <see cref="Load"/>).</summary>
    public Denoiser SamplingGenerator => GeneratorEma ?? Generator;

    /// <summary>A builder for a model's components: a latent space may load a trained autoencoder through it.</summary>
    public static ComponentBuilder ComponentBuilderFor(ComponentCatalog catalog) => new(catalog, new TrainedAutoencoderLoader(catalog));

    /// <summary>
    /// Builds the recipe's model around a dataset of <paramref name="dataShape"/>. The networks are first sized on the
    /// meta device: a recipe they cannot fit in memory is refused before anything is allocated. The order of
    /// construction (latent space, process, G, EMA G, D, loss schedule) fixes how initialisation draws from the RNG.
    /// </summary>
    public static DiffusionModel Build(ComponentBuilder builder, Recipe recipe, SampleShape dataShape, Device device, ModelUse use)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(recipe);
        bool training = use == ModelUse.Training;
        bool withEma = training && recipe.Train.EmaDecay > 0;
        bool adversarial = !recipe.IsGaussian;
        // One context carries T (fixed by the recipe) to every factory; the latent space, built first, fixes the latent shape.
        var context = new ComponentContext(dataShape, dataShape, recipe.NumTimesteps, device);
        var latent = builder.Build<ILatentSpace>(recipe.Latent, context);
        latent.MoveTo(device);
        context = context with { LatentShape = latent.LatentShape(dataShape) };
        var process = builder.Build<IDiffusionProcess>(recipe.Diffusion, context);
        process.MoveTo(device);
        if (process.NumTimesteps != context.NumTimesteps)
            throw new InvalidOperationException($"[diffusion] type \"{recipe.Diffusion.Type}\" built a process with T = {process.NumTimesteps}, but its options say {context.NumTimesteps}.");
        ModelMemoryEstimate.CheckFits(builder, recipe, context, withEma, forTraining: training);
        var generator = builder.Build<Denoiser>(recipe.Generator, context);
        var generatorEma = withEma ? builder.Build<Denoiser>(recipe.Generator, context) : null;
        if (!adversarial) CheckGaussianNetwork(recipe);
        var discriminator = training && adversarial ? builder.Build<Discriminator>(Required(recipe.Discriminator, "discriminator"), context) : null;
        var loss = adversarial ? builder.Build<ILossSchedule>(Required(recipe.Loss, "loss"), context) : null;
        return new DiffusionModel(recipe, dataShape, device, latent, process, generator, generatorEma, discriminator, loss);
    }

    private static ComponentSpec Required(ComponentSpec? spec, string section) =>
        spec ?? throw new InvalidOperationException($"the recipe has no [{section}]: a diffusion GAN needs one.");

    /// <summary>A Gaussian model's network predicts ε or v, which are unbounded: NCSN++'s output tanh would cap them.</summary>
    private static void CheckGaussianNetwork(Recipe recipe)
    {
        if (recipe.Generator.Options is LddGan.Layers.NcsnppOptions { NotUseTanh: false })
            throw new RecipeException(
                $"[generator] type \"{recipe.Generator.Type}\" ends with tanh, which bounds its output to (-1, 1), but a Gaussian diffusion " +
                "model's network predicts the noise ε (or v), which is unbounded: set not_use_tanh = true in [generator].");
    }

    /// <summary>
    /// Loads a checkpoint (or a run directory's latest) for sampling: its recipe rebuilds the model (no dataset needed)
    /// and G gets the EMA weights when the checkpoint has them, as the official releases sample.
    /// </summary>
    public static DiffusionModel Load(string checkpointOrRun, ComponentCatalog catalog, string? device = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        string path = CheckpointFile.ResolvePath(checkpointOrRun);
        using var reader = CheckpointFile.Open(path);
        var recipe = ReadRecipe(reader, path, catalog);
        var torchDevice = DeviceSelection.Resolve(device ?? recipe.Device, recipe.Runtime);
        var model = Build(ComponentBuilderFor(catalog), recipe, reader.Meta.DataShape, torchDevice, ModelUse.Sampling);
        model.CheckpointPath = path;
        model.Meta = reader.Meta;
        model.UsesEma = reader.HasModule("generator_ema");
        try
        {
            reader.LoadModule(model.UsesEma ? "generator_ema" : "generator", model.Generator);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.Generator.eval();
        return model;
    }

    private static Recipe ReadRecipe(CheckpointReader reader, string path, ComponentCatalog catalog)
    {
        try
        {
            return new RecipeLoader(catalog).Parse(reader.RecipeToml, $"{path}!{CheckpointFile.RecipeEntry}");
        }
        catch (RecipeException e) when (IsAutoencoderRecipe(reader.RecipeToml))
        {
            throw new CheckpointException(
                $"{path} is an autoencoder (first-stage) checkpoint: it encodes and decodes images and does not sample. " +
                "Sample or evaluate the LDDGAN diffusion-GAN checkpoint trained in its latent space (e.g. recipes/pretrained/lddgan-fashion-mnist.ckpt); " +
                "the autoencoder's reconstruction report is printed at the end of its training.", e);
        }
        catch (RecipeException e)
        {
            throw new CheckpointException($"{path}: its recipe cannot be used with the loaded plugins:{Environment.NewLine}{e.Message}", e);
        }
    }

    private static bool IsAutoencoderRecipe(string toml)
    {
        try { return RecipeDocument.ParseToml(toml, "recipe").ContainsKey("autoencoder"); }
        catch (RecipeException) { return false; }
    }

    /// <summary>
    /// Decoded samples in [-1, 1] on the CPU, from the sampling generator; one noise stream seeded by <paramref name="seed"/>.
    /// A Gaussian model samples as <paramref name="sampling"/> says (default: the recipe's [sample] keys); a class-conditional
    /// model samples the classes of <paramref name="classLabels"/> (default: class i mod num_classes for sample i).
    /// </summary>
    public Tensor Sample(int count, long seed, int batchSize = 100, GaussianSamplerSettings? sampling = null, Tensor? classLabels = null) =>
        _renderer.Generate(SamplingGenerator, count, seed, batchSize, sampling ?? Recipe.Sample.GaussianSampler, classLabels);

    /// <summary>The samples of <see cref="Sample"/>, one decoded CPU batch at a time (owned by the caller).</summary>
    public IEnumerable<Tensor> SampleBatches(int count, long seed, int batchSize = 100, GaussianSamplerSettings? sampling = null, Tensor? classLabels = null,
                                             SamplingCursor? cursor = null) =>
        _renderer.GenerateBatches(SamplingGenerator, count, seed, batchSize, sampling ?? Recipe.Sample.GaussianSampler, classLabels, cursor);

    /// <summary>Classes a class-conditional model can sample (0: unconditional).</summary>
    public int NumClasses => Generator.NumClasses;

    /// <summary>The parts a Gaussian diffusion training run trains, with its dataset.</summary>
    public DenoisingComponents ForDenoising(IDataset dataset)
    {
        if (GaussianProcess is not { } process)
            throw new InvalidOperationException("this model is a diffusion GAN: train it with ForTraining and DiffusionGanTrainer.");
        return new DenoisingComponents(dataset, LatentSpace, process, Generator, GeneratorEma);
    }

    /// <summary>The parts a training run trains, with its dataset.</summary>
    public TrainingComponents ForTraining(IDataset dataset)
    {
        if (GaussianProcess is not null)
            throw new InvalidOperationException("this model is a Gaussian diffusion model: train it with ForDenoising and GaussianDiffusionTrainer.");
        if (Discriminator is null || LossSchedule is null)
            throw new InvalidOperationException("this model was built for sampling (no discriminator): build it with ModelUse.Training to train it.");
        return new TrainingComponents(dataset, LatentSpace, Process, Generator, GeneratorEma, Discriminator, LossSchedule);
    }

    /// <summary>
    /// Writes the model as a checkpoint, atomically: the one place that decides which networks go in under which name.
    /// A training model writes G, D and (when <paramref name="meta"/> says so) the EMA copy, with the optimisers and
    /// random streams of <paramref name="state"/>; a sampling model writes G, as <c>generator_ema</c> when it holds EMA weights.
    /// </summary>
    public void Save(string path, string recipeToml, CheckpointMeta meta, TrainingState? state = null)
    {
        ArgumentNullException.ThrowIfNull(meta);
        var modules = new List<(string, nn.Module)>();
        if (Discriminator is null && GeneratorEma is null)
            modules.Add((meta.HasEma ? "generator_ema" : "generator", Generator));
        else
        {
            modules.Add(("generator", Generator));
            if (Discriminator is not null) modules.Add(("discriminator", Discriminator));
            if (GeneratorEma is not null && meta.HasEma) modules.Add(("generator_ema", GeneratorEma));
        }
        CheckpointFile.Save(path, recipeToml, meta, modules, state?.Optimizers ?? [], state?.RandomStreams ?? []);
    }

    public void Dispose()
    {
        Generator.Dispose();
        GeneratorEma?.Dispose();
        Discriminator?.Dispose();
        Process.Dispose();
        LatentSpace.Dispose();
        (LossSchedule as IDisposable)?.Dispose();
    }
}

/// <summary>What a checkpoint needs besides the networks to continue training exactly: optimiser and random-stream states.</summary>
public sealed record TrainingState(
    IReadOnlyList<(string Name, TorchSharp.Modules.OptimizerHelper Optimizer)> Optimizers,
    IReadOnlyList<(string Name, Generator Generator)> RandomStreams);
