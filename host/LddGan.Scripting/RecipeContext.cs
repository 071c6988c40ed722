using LddGan.Engine.Diffusion;
using System.Globalization;
using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Models;
using LddGan.Engine.Plugins;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runtime;
using LddGan.Engine.Sessions;
using LddGan.Engine.Training;
using LddGan.Evaluation;
using static TorchSharp.torch;

namespace LddGan.Scripting;

/// <summary>What a finished training run left behind.</summary>
public sealed record TrainingResult(string RunDirectory, string CheckpointPath, long Steps, StepLosses? LastLosses);

/// <summary>
/// The globals of a <c>.csx</c> recipe: every public member is a top-level name in the script. Pick components by name
/// (<see cref="Recipe"/>), train with callbacks (<see cref="Train"/>), sample and save grids, load checkpoints, build the
/// components for a loop of your own (<see cref="BuildComponents"/>), and register components written in the script
/// itself (<see cref="Register{TOptions,TComponent}"/>). Components from every loaded plugin can be mixed freely.
/// </summary>
public class RecipeContext
{
    private readonly TextWriter _out;
    private readonly CancellationToken _stop;
    private readonly Func<IDisposable>? _listenForStop;

    /// <param name="stop">Cancelled on SIGINT/SIGTERM: a training started by the script then saves a checkpoint and stops.</param>
    /// <param name="listenForStop">
    /// Held while the script trains: says that a stop signal should cancel <paramref name="stop"/> rather than end the process
    /// (between trainings nothing in a script watches the token, so a signal ends it at once).
    /// </param>
    public RecipeContext(string scriptPath, IReadOnlyList<string> args, ComponentCatalog catalog,
                         IReadOnlyList<LoadedPlugin> plugins, TextWriter? output = null, CancellationToken stop = default,
                         Func<IDisposable>? listenForStop = null)
    {
        _stop = stop;
        _listenForStop = listenForStop;
        ScriptPath = Path.GetFullPath(scriptPath);
        Args = args;
        Catalog = catalog.Copy();
        Plugins = plugins;
        _out = output ?? Console.Out;
    }

    /// <summary>The arguments after <c>--</c> on the command line.</summary>
    public IReadOnlyList<string> Args { get; }

    public string ScriptPath { get; }
    public string ScriptDirectory => Path.GetDirectoryName(ScriptPath)!;

    /// <summary>The components this script can use: built-ins, plugins, and the script's own registrations.</summary>
    public ComponentCatalog Catalog { get; }

    public IReadOnlyList<LoadedPlugin> Plugins { get; }

    public void Log(string message) => _out.WriteLine(message);

    /// <summary>
    /// A named argument: <c>--name=value</c> or <c>--name value</c> after <c>--</c>; <paramref name="defaultValue"/> when
    /// absent. A value that does not convert is an error naming the argument.
    /// </summary>
    public T Argument<T>(string name, T defaultValue)
    {
        string flag = "--" + name;
        for (int i = 0; i < Args.Count; i++)
        {
            string? raw = Args[i].StartsWith(flag + "=", StringComparison.Ordinal) ? Args[i][(flag.Length + 1)..]
                        : Args[i] == flag && i + 1 < Args.Count ? Args[i + 1] : null;
            if (raw is null) continue;
            try { return (T)Convert.ChangeType(raw, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), CultureInfo.InvariantCulture); }
            catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
            {
                throw new ArgumentException($"script argument {flag}: '{raw}' is not a valid {typeof(T).Name}.", e);
            }
        }
        return defaultValue;
    }

    /// <summary>Starts a recipe; sections take the TOML keys (see docs/recipes.md).</summary>
    public RecipeBuilder Recipe(string name) => new(Catalog, name, $"{ScriptPath} (recipe '{name}')");

    /// <summary>Reads a TOML recipe (a path relative to the script's folder).</summary>
    public Recipe LoadRecipe(string tomlPath) => new RecipeLoader(Catalog).LoadFile(Path.Combine(ScriptDirectory, tomlPath));

    /// <summary>
    /// Registers a component written in the script, so recipes can name it like any plugin's. Options are a record
    /// with a parameterless constructor; recipe keys map to its properties in snake_case.
    /// </summary>
    public void Register<TOptions, TComponent>(ComponentKind kind, string name, Func<TOptions, ComponentContext, TComponent> create,
                                               string description = "defined in a script")
        where TOptions : class, new() where TComponent : class
    {
        ArgumentNullException.ThrowIfNull(create);
        var registration = new ComponentRegistration(kind, name, description, new DelegateFactory<TOptions, TComponent>(create), ScriptPath, "script");
        if (Catalog.TryFindClash(registration, out var existing))
            throw new ComponentResolutionException($"the script registers {kind} '{name}', but {existing.Source} already provides it; choose another name.");
        Catalog.Register(registration);
    }

    /// <summary>
    /// Trains a recipe (a fresh run directory unless <paramref name="resume"/>), calling <paramref name="onStep"/> after
    /// every step and <paramref name="onEpoch"/> after every finished epoch.
    /// </summary>
    public TrainingResult Train(Recipe recipe, string? runDirectory = null, Action<StepReport>? onStep = null,
                                Action<int>? onEpoch = null, bool resume = false, int printEvery = 0)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        var observer = new CallbackObserver(_out, printEvery > 0 ? printEvery : Math.Max(1, recipe.Train.LogEvery), onStep, onEpoch);
        using var session = new TrainingSession(recipe, Catalog, Plugins,
            new TrainingSessionOptions { RunDirectory = runDirectory, Resume = resume, Evaluators = new TrainingFidEvaluatorFactory(Catalog) }, observer);
        using (_listenForStop?.Invoke()) session.Run(_stop);
        observer.FinishEpochIfComplete(session.Trainer);
        return new TrainingResult(session.RunDirectory, session.CheckpointPath, session.Trainer.GlobalStep, observer.Last);
    }

    /// <summary>Loads an autoencoder (first-stage) TOML recipe, relative to the script's folder.</summary>
    public AutoencoderRecipe LoadAutoencoderRecipe(string tomlPath) =>
        new AutoencoderRecipeLoader(Catalog).LoadFile(Path.Combine(ScriptDirectory, tomlPath));

    /// <summary>Trains an autoencoder (LDDGAN's first stage); returns its reconstruction report and recommended scale factor.</summary>
    public AutoencoderEvaluation TrainAutoencoder(AutoencoderRecipe recipe, string? runDirectory = null, int printEvery = 0)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        var observer = new CallbackObserver(_out, printEvery > 0 ? printEvery : Math.Max(1, recipe.Train.LogEvery), null, null);
        using var session = new AutoencoderTrainingSession(recipe, Catalog, Plugins, new TrainingSessionOptions { RunDirectory = runDirectory }, observer);
        using (_listenForStop?.Invoke()) return session.Run(_stop);
    }

    /// <summary>Opens a checkpoint (or a run directory's latest) for sampling with its EMA generator; dispose it.</summary>
    public DiffusionModel LoadCheckpoint(string checkpointOrRun, string? device = null) => DiffusionModel.Load(checkpointOrRun, Catalog, device);

    /// <summary>
    /// Samples from a checkpoint (decoded data in [-1, 1]); a Gaussian diffusion model as <paramref name="sampling"/> says
    /// (e.g. <c>new GaussianSamplerSettings("ddim", Steps: 50)</c>; default: its recipe's [sample] keys).
    /// </summary>
    public Tensor Sample(string checkpointOrRun, int count, long seed = 0, int batchSize = 100, GaussianSamplerSettings? sampling = null)
    {
        using var session = LoadCheckpoint(checkpointOrRun);
        return session.Sample(count, seed != 0 ? seed : session.Recipe.Seed, batchSize, sampling);
    }

    /// <summary>
    /// Saves what a script's own training loop has learned as a regular checkpoint (atomically): weights, EMA,
    /// optimisers, random streams and the resolved recipe, readable by <c>lddgan sample</c> and <see cref="Sample"/>.
    /// </summary>
    public void SaveCheckpoint(string path, Recipe recipe, TrainingComponents components, DiffusionGanTrainer trainer, RandomStreams rng)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(components);
        string full = Path.GetFullPath(path);
        // The components stay the script's: the model wrapping them is only used to write them, and is not disposed.
        var model = new DiffusionModel(recipe, components.Dataset.Shape, DeviceOf(components), components.LatentSpace, components.Process,
                                          components.Generator, components.GeneratorEma, components.Discriminator, components.LossSchedule);
        TrainingSession.WriteCheckpoint(full, recipe.ToToml($"Recipe of a script's training loop ({ScriptPath})"), model, trainer, rng);
        Log($"checkpoint: {full} (step {trainer.GlobalStep})");
    }

    private static TorchSharp.torch.Device DeviceOf(TrainingComponents components) =>
        components.Generator.parameters().FirstOrDefault()?.device ?? TorchSharp.torch.CPU;

    /// <summary>
    /// Evaluates a checkpoint against its dataset where the answer is known: for the 25-Gaussians toy, the mode
    /// coverage of <paramref name="count"/> samples (modes covered, share within 3σ). Image metrics (FID, precision and
    /// recall) come with <c>lddgan eval</c>.
    /// </summary>
    public LddGan.Engine.Data.ModeCoverageReport Evaluate(string checkpointOrRun, int count = 2000, long seed = 5)
    {
        using var session = LoadCheckpoint(checkpointOrRun);
        if (session.Recipe.Data.Options is not LddGan.Engine.Data.TwentyFiveGaussiansOptions toy)
            throw new NotSupportedException(
                $"Evaluate knows the answer only for the 25-gaussians toy; {session.CheckpointPath} was trained on '{session.Recipe.Data.Type}'.");
        using var dataset = new LddGan.Engine.Data.TwentyFiveGaussiansDataset(toy with { Count = 25 });
        using var samples = session.Sample(count, seed, batchSize: count);
        return dataset.Evaluate(samples);
    }

    /// <summary>Writes samples as a PNG grid (images) or a scatter plot (2-D points).</summary>
    public void SaveGrid(Tensor samples, string path, int? columns = null)
    {
        SampleRenderer.Save(samples, Path.GetFullPath(path), columns);
        Log($"wrote {Path.GetFullPath(path)}");
    }

    /// <summary>
    /// The components of a recipe, built and placed on its device, for a training loop written in the script. The
    /// caller owns them (dispose the modules, dataset and process when done). Module initialisation is seeded with the
    /// recipe's seed.
    /// </summary>
    public TrainingComponents BuildComponents(Recipe recipe) => BuildModel(recipe, out var dataset).ForTraining(dataset);

    /// <summary>
    /// The recipe's model, built for training and placed on its device, and its dataset. The caller owns both (dispose
    /// them when done). Module initialisation is seeded with the recipe's seed, as a training session's.
    /// </summary>
    public DiffusionModel BuildModel(Recipe recipe, out IDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        var device = DeviceSelection.Resolve(recipe.Device, recipe.Runtime);
        // Seed module initialisation from the recipe, as a training session does, so the loop is reproducible.
        TorchSharp.torch.manual_seed(recipe.Seed);
        TorchSharp.torch.cuda.manual_seed_all(recipe.Seed);
        var builder = DiffusionModel.ComponentBuilderFor(Catalog);
        dataset = builder.Build<IDataset>(recipe.Data, new ComponentContext(default, default, recipe.NumTimesteps, device));
        return DiffusionModel.Build(builder, recipe, dataset.Shape, device, ModelUse.Training);
    }

    private sealed class DelegateFactory<TOptions, TComponent>(Func<TOptions, ComponentContext, TComponent> create)
        : ComponentFactory<TOptions, TComponent> where TOptions : class, new() where TComponent : class
    {
        public override TComponent Create(TOptions options, ComponentContext context) => create(options, context);
    }

    private sealed class CallbackObserver(TextWriter output, int printEvery, Action<StepReport>? onStep, Action<int>? onEpoch) : ITrainingObserver
    {
        private readonly TextTrainingObserver _text = new(output, printEvery);
        private int _epoch = -1;

        public StepLosses? Last { get; private set; }

        public void Started(TrainingPlan plan) => _text.Started(plan);

        public void Stepped(StepReport report)
        {
            if (_epoch >= 0 && report.Epoch > _epoch) onEpoch?.Invoke(_epoch);
            _epoch = report.Epoch;
            if (report.LossesRead) Last = report.Losses;   // read by the session every log_every steps and at the end
            _text.Stepped(report);
            onStep?.Invoke(report);
        }

        public void Note(string message) => _text.Note(message);

        public void FinishEpochIfComplete(IDiffusionTrainer trainer)
        {
            if (_epoch >= 0 && trainer.Epoch > _epoch) onEpoch?.Invoke(_epoch);
        }
    }
}
