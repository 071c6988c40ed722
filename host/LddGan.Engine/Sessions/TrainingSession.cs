using LddGan.Abstractions;
using LddGan.Engine.Checkpoints;
using LddGan.Engine.Components;
using LddGan.Engine.Models;
using LddGan.Engine.Plugins;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runs;
using LddGan.Engine.Runtime;
using LddGan.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Sessions;

/// <summary>Where a training run writes and whether it continues an earlier one.</summary>
public sealed record TrainingSessionOptions
{
    /// <summary>Overrides the recipe's run directory.</summary>
    public string? RunDirectory { get; init; }
    /// <summary>Continue from the run directory's latest checkpoint.</summary>
    public bool Resume { get; init; }
    /// <summary>
    /// Makes the evaluator a recipe with <c>[train] eval_every</c> &gt; 0 needs (the host's FID evaluator); without
    /// one such a recipe is refused before training starts.
    /// </summary>
    public ITrainingEvaluatorFactory? Evaluators { get; init; }
}

/// <summary>
/// One training run: builds the recipe's components, then drives the trainer while keeping the run directory up to
/// date (resolved recipe, run.json, metrics.jsonl, preview grids, atomic checkpoints) and handles resume.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    public const string LatestCheckpointName = CheckpointFile.LatestName;

    private readonly Recipe _recipe;
    private readonly ITrainingObserver _observer;
    private readonly RunEnvironment _run;
    private readonly DiffusionModel _model;
    private readonly IDataset _dataset;
    private readonly IDiffusionTrainer _trainer;
    private readonly SampleShape _dataShape;
    private readonly IReadOnlyList<LoadedPlugin> _plugins;
    private readonly ITrainingEvaluator? _evaluator;
    private readonly TrainingClock _clock = new();
    /// <summary>The lowest FID measured so far (eval_every), the one best.ckpt holds; infinity before the first.</summary>
    private double _bestFid = double.PositiveInfinity;

    /// <summary>Training wall time of the run so far, summed over resumes.</summary>
    public double TrainingSeconds => _clock.Seconds;

    public string RunDirectory => _run.RunDirectory;
    public string CheckpointPath => _run.CheckpointPath;
    /// <summary>
    /// The checkpoint of the evaluation with the lowest FID so far (written only with <c>[train] eval_every</c>): GAN
    /// training can get worse late, and this keeps the best state the run passed through.
    /// </summary>
    public string BestCheckpointPath => Path.Combine(RunDirectory, "checkpoints", CheckpointFile.BestName);
    /// <summary>The trainer: <see cref="DiffusionGanTrainer"/> for a diffusion GAN, <see cref="GaussianDiffusionTrainer"/> for a Gaussian diffusion model.</summary>
    public IDiffusionTrainer Trainer => _trainer;
    /// <summary>A diffusion GAN's training parts; a Gaussian model has none (see <see cref="Model"/>).</summary>
    public TrainingComponents Components => _model.ForTraining(_dataset);
    public DiffusionModel Model => _model;

    public TrainingSession(Recipe recipe, ComponentCatalog catalog, IReadOnlyList<LoadedPlugin> plugins,
                           TrainingSessionOptions options, ITrainingObserver observer)
    {
        _recipe = recipe;
        _observer = observer;
        _plugins = plugins;
        _run = new RunEnvironment(options.RunDirectory ?? recipe.RunDirectory, options.Resume, recipe.Train.Threads, recipe.Device, recipe.Runtime, recipe.Seed);

        try
        {
            var builder = DiffusionModel.ComponentBuilderFor(catalog);
            _dataset = builder.Build<IDataset>(recipe.Data, new ComponentContext(default, default, recipe.NumTimesteps, _run.Device));
            _dataShape = _dataset.Shape;
            _model = DiffusionModel.Build(builder, recipe, _dataShape, _run.Device, ModelUse.Training);
            _trainer = recipe.IsGaussian
                ? new GaussianDiffusionTrainer(_model.ForDenoising(_dataset), recipe.Train, _run.Rng, _run.Device)
                : new DiffusionGanTrainer(_model.ForTraining(_dataset), recipe.Train, _run.Rng, _run.Device);

            if (options.Resume) RestoreFrom(CheckpointPath, catalog);
            if (options.Resume && File.Exists(BestCheckpointPath)) RestoreBest();
            if (recipe.Train.EvalEvery > 0) _evaluator = CreateEvaluator(options.Evaluators);
        }
        catch
        {
            // A session that cannot be built gives back what it had built (a long-lived host, a retry, may go on).
            Dispose();
            throw;
        }
    }

    private void RestoreBest()
    {
        using var reader = CheckpointFile.Open(BestCheckpointPath);
        if (reader.Meta.Evaluation?.TryGetValue("fid", out double fid) != true) return;
        _bestFid = fid;
        _observer.Note($"best FID so far {fid:0.###} at step {reader.Meta.GlobalStep} ({BestCheckpointPath}); a lower one replaces it.");
    }

    /// <summary>Made before the first step, so a run that cannot be evaluated fails now rather than hours in.</summary>
    private ITrainingEvaluator CreateEvaluator(ITrainingEvaluatorFactory? factory)
    {
        if (factory is null)
            throw new RunSetupException(
                $"[train] eval_every = {_recipe.Train.EvalEvery} asks for FID during training, but this training was started without an evaluator " +
                "(lddgan train, lddgan run and a .csx script's Train provide one). Set eval_every = 0, or pass TrainingSessionOptions.Evaluators.");
        var evaluator = factory.Create(_recipe, _dataShape, _run.Device);
        _observer.Note($"evaluation every {_recipe.Train.EvalEvery} steps: {evaluator.Description}");
        return evaluator;
    }

    /// <summary>Trains until the recipe's budget is spent. A stop (Ctrl+C, SIGTERM) saves a checkpoint first.</summary>
    public void Run(CancellationToken cancellation = default)
    {
        var train = _recipe.Train;
        long parameters = _model.Generator.parameters().Sum(p => p.numel()) + (_model.Discriminator?.parameters().Sum(p => p.numel()) ?? 0);
        var plan = new TrainingPlan(RunDirectory, _trainer.GlobalStep, _trainer.TotalSteps, _trainer.BatchesPerEpoch, train.NumEpochs, _run.Device.ToString(), parameters);
        using var loop = new TrainingRunLoop(plan, new RunCadence(train.LogEvery, train.SampleEvery, train.CheckpointEvery, train.BatchSize,
                                                                  _evaluator is null ? 0 : train.EvalEvery),
                                             new RunStart(ResolvedToml(), _recipe.Seed, _plugins, _run.Resumed), _observer,
                                             [.. (_dataset as Data.IDatasetNotes)?.Notes ?? [], _trainer.CpuGradientNote]);
        using var gpuMemory = Runtime.NativeTorch.GpuMemoryMonitor.StartFor(_run.Device);
        double budgetSeconds = train.MaxHours * 3600;
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        bool budgetSpent = false;
        if (budgetSeconds > 0)
            _observer.Note(TrainingSeconds >= budgetSeconds
                ? $"max_hours = {train.MaxHours}: the run has already trained {TrainingSeconds / 3600:F2} h; nothing to do."
                : $"max_hours = {train.MaxHours}: stops after {(budgetSeconds - TrainingSeconds) / 3600:F2} more hours of training (or at step {_trainer.TotalSteps}).");
        if (budgetSeconds > 0 && TrainingSeconds >= budgetSeconds)
        {
            budgetSpent = true;
            budget.Cancel();
        }
        _clock.Start();
        loop.Run(() => _trainer.Run(pending =>
        {
            long step = _trainer.GlobalStep;
            var duties = loop.DutiesAt(step);
            loop.DataWait.Add(_trainer.LastDataWait);
            // The host waits for the device only here: a diverged run is caught before it is logged or saved.
            if (duties.Any) pending.ReadFinite();
            var (imagesPerSecond, eta) = loop.Throughput(step);
            var report = new StepReport(step, _trainer.Epoch, pending, _trainer.CurrentLrG, _trainer.CurrentLrD, imagesPerSecond, loop.Elapsed, eta)
            {
                TrainingSeconds = TrainingSeconds,
            };
            _observer.Stepped(report);
            if (duties.Log) loop.Log(step, MetricsRecord(report, loop.DataWait.TakeMeanMilliseconds()));
            if (duties.Preview) loop.Preview(WritePreview($"step_{step:D7}.png"), step);
            // Evaluate first: a run that fails during the evaluation resumes from the checkpoint before this step and
            // evaluates it again, rather than from after it with the evaluation (and its best.ckpt) lost.
            if (duties.Evaluate) Evaluate(loop, step);
            if (duties.Checkpoint) SaveCheckpoint();
            if (budgetSeconds > 0 && TrainingSeconds >= budgetSeconds && !budgetSpent)
            {
                budgetSpent = true;
                if (!duties.Log) loop.Log(step, MetricsRecord(report, loop.DataWait.TakeMeanMilliseconds()));
                _observer.Note($"max_hours = {train.MaxHours} reached at step {step} ({TrainingSeconds / 3600:F2} h of training).");
                budget.Cancel();
            }
        }, budget.Token), () => SaveCheckpoint(), CheckpointPath, _run.ResumeCommand(_recipe.SourcePath), () => _trainer.GlobalStep,
           () => budgetSpent && !cancellation.IsCancellationRequested);
        _clock.Stop();
        SaveCheckpoint();
        loop.Preview(WritePreview("final.png"), _trainer.GlobalStep);
        if (gpuMemory is { Available: true })
            _observer.Note($"peak GPU memory in use: {gpuMemory.PeakBytes / 1073741824.0:F2} GiB (whole device, CUDA driver; " +
                           $"{gpuMemory.BaselineBytes / 1073741824.0:F2} GiB before training); " +
                           $"{(_trainer.GlobalStep - loop.StartStep) * train.BatchSize / loop.Elapsed.TotalSeconds:F0} images/s over the run.");
    }

    public string ResolvedToml() => _recipe.ToToml(
        $"Resolved recipe of run '{_recipe.Name}': every option written out.\nReproduce with: lddgan train <this file>");

    public void SaveCheckpoint(string? path = null)
    {
        path ??= CheckpointPath;
        WriteCheckpoint(path, ResolvedToml(), _model, _trainer, _run.Rng, TrainingSeconds);
        _observer.Note($"checkpoint: {path} (step {_trainer.GlobalStep})");
    }

    /// <summary>
    /// Writes a training model with everything needed to resume it exactly (weights, EMA, optimisers, random streams,
    /// the trainer's position): the checkpoint of every training loop, a session's or a script's own.
    /// </summary>
    /// <param name="trainingSeconds">Training wall time so far, summed over resumes (recorded in the checkpoint's meta data).</param>
    /// <param name="evaluation">For a best checkpoint: the evaluation that chose it (recorded in the meta data).</param>
    public static void WriteCheckpoint(string path, string recipeToml, DiffusionModel model, IDiffusionTrainer trainer, RandomStreams rng,
                                       double trainingSeconds = 0, IReadOnlyDictionary<string, double>? evaluation = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(rng);
        var shape = model.DataShape;
        var meta = new CheckpointMeta
        {
            FrameworkVersion = typeof(TrainingSession).Assembly.GetName().Version?.ToString() ?? "?",
            Created = DateTimeOffset.UtcNow,
            DataChannels = shape.Channels, DataHeight = shape.Height, DataWidth = shape.Width,
            HasEma = trainer.Ema is not null,
            EmaInitialised = trainer.Ema?.Initialised ?? false,
            TrainingSeconds = trainingSeconds,
            Evaluation = evaluation,
        }.At(trainer.Position);
        model.Save(path, recipeToml, meta, new TrainingState(trainer.Optimizers, rng.All().ToList()));
    }

    private void RestoreFrom(string path, ComponentCatalog catalog)
    {
        using var reader = CheckpointFile.Open(path);
        var meta = reader.Meta;
        if (meta.DataShape != _dataShape)
            throw new CheckpointException($"{path}: trained on data of shape {meta.DataShape}, but the recipe's dataset yields {_dataShape}.");
        // Both recipes written out by the same loader, so options added since the checkpoint (at their defaults) match.
        string trained;
        try { trained = new RecipeLoader(catalog).Parse(reader.RecipeToml, $"{path}!{CheckpointFile.RecipeEntry}").ToToml(); }
        catch (RecipeException) { trained = ""; }   // a recipe the loaded plugins cannot read: loading the weights will say why
        var changed = trained.Length == 0 ? [] : ChangedModelSections(trained, ResolvedToml());
        if (changed.Count > 0)
            throw new CheckpointException(
                $"{path}: this recipe's {string.Join(", ", changed.Select(s => $"[{s}]"))} differ from the ones the run was trained with, " +
                $"so its weights cannot continue here. Resume with the run's own recipe ({Path.Combine(RunDirectory, "recipe.resolved.toml")}), " +
                "or start a new run in another folder (-o).");
        reader.LoadModule("generator", _model.Generator);
        if (_model.Discriminator is not null) reader.LoadModule("discriminator", _model.Discriminator);
        if (_trainer.Ema is not null)
        {
            if (!reader.HasModule("generator_ema"))
                throw new CheckpointException($"{path}: has no EMA weights but the recipe sets ema_decay = {_recipe.Train.EmaDecay}.");
            reader.LoadModule("generator_ema", _model.GeneratorEma!);
            _trainer.Ema.Initialised = meta.EmaInitialised;
        }
        foreach (var (name, optimizer) in _trainer.Optimizers) reader.LoadOptimizer(name, optimizer);
        if (reader.LoadRandomStreams(_run.Rng) is { } streamsNote) _observer.Note(streamsNote);
        _trainer.RestorePosition(meta.Position);
        _clock.ResumeFrom(meta.TrainingSeconds);
        _observer.Note($"resumed from {path} at step {meta.GlobalStep} (epoch {meta.Epoch}" +
                       (meta.TrainingSeconds > 0 ? $", {meta.TrainingSeconds / 3600:F2} h of training so far)." : ")."));
    }

    /// <summary>The model sections (networks, latent space, diffusion) whose resolved TOML differs between two recipes.</summary>
    private static List<string> ChangedModelSections(string trainedToml, string currentToml)
    {
        static Dictionary<string, string> Sections(string toml)
        {
            var sections = new Dictionary<string, string>();
            string current = "";
            foreach (var raw in toml.Split('\n'))
            {
                string line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                if (line.StartsWith('[') && line.EndsWith(']')) { current = line[1..^1]; continue; }
                sections[current] = sections.GetValueOrDefault(current, "") + line + "\n";
            }
            return sections;
        }
        var trained = Sections(trainedToml);
        var now = Sections(currentToml);
        return new[] { "latent", "diffusion", "generator", "discriminator" }
            .Where(s => trained.GetValueOrDefault(s, "") != now.GetValueOrDefault(s, "")).ToList();
    }

    private string WritePreview(string fileName)
    {
        string path = Path.Combine(RunDirectory, "samples", fileName);
        using var samples = _model.Sample(_recipe.Train.PreviewCount, seed: _recipe.Seed + 100);
        SampleRenderer.Save(samples, path);
        _observer.Note($"samples: {path}");
        return path;
    }

    /// <summary>One evaluation: a metrics.jsonl line (and TensorBoard scalars) of its own, and a note.</summary>
    private void Evaluate(TrainingRunLoop loop, long step)
    {
        var scalars = _evaluator!.Evaluate(_model, step);
        var record = new Dictionary<string, object?> { ["step"] = step, ["epoch"] = _trainer.Epoch };
        foreach (var (name, value) in scalars) record[name] = value;
        loop.Log(step, record);
        _observer.Note($"step {step}: " + string.Join(", ", scalars.Select(kv => $"{kv.Key} {kv.Value:0.####}")));
        if (scalars.TryGetValue("fid", out double fid) && fid < _bestFid)
        {
            _bestFid = fid;
            WriteCheckpoint(BestCheckpointPath, ResolvedToml(), _model, _trainer, _run.Rng, TrainingSeconds,
                            scalars.Where(kv => double.IsFinite(kv.Value)).ToDictionary());   // JSON holds no NaN
            _observer.Note($"best FID so far: {BestCheckpointPath} (step {step})");
        }
        loop.RestartThroughput(step);
    }

    private static Dictionary<string, object?> MetricsRecord(StepReport r, double dataMilliseconds) => !r.PendingLosses.Adversarial
        ? new()
        {
            ["step"] = r.Step, ["epoch"] = r.Epoch, ["loss"] = r.Losses.G, ["lr"] = r.LrG,
            ["images_per_s"] = r.ImagesPerSecond, ["data_ms"] = dataMilliseconds, ["elapsed_s"] = r.Elapsed.TotalSeconds,
            ["training_s"] = r.TrainingSeconds,
        }
        : new()
    {
        ["step"] = r.Step, ["epoch"] = r.Epoch,
        ["loss_d_real"] = r.Losses.DReal, ["loss_d_fake"] = r.Losses.DFake, ["r1"] = r.Losses.R1,
        ["loss_g_adv"] = r.Losses.GAdversarial, ["loss_g_rec"] = r.Losses.GReconstruction, ["loss_g"] = r.Losses.G,
        ["lr_g"] = r.LrG, ["lr_d"] = r.LrD, ["images_per_s"] = r.ImagesPerSecond, ["data_ms"] = dataMilliseconds, ["elapsed_s"] = r.Elapsed.TotalSeconds,
        ["training_s"] = r.TrainingSeconds,
    };

    public void Dispose()
    {
        // Null-conditional: a constructor that failed part-way disposes what it had built.
        _evaluator?.Dispose();
        _trainer?.Dispose();
        _model?.Dispose();
        _dataset?.Dispose();
        _run.Dispose();
    }
}
