using System.Diagnostics;
using LddGan.Engine.Checkpoints;
using LddGan.Engine.Runs;
using LddGan.Engine.Runtime;
using LddGan.Engine.Training;
using TorchSharp;

namespace LddGan.Engine.Sessions;

/// <summary>
/// How often a run logs, previews, checkpoints and evaluates (the <c>[train]</c> keys of every kind of recipe;
/// <paramref name="EvalEvery"/> 0: never).
/// </summary>
public sealed record RunCadence(int LogEvery, int SampleEvery, int CheckpointEvery, int BatchSize, int EvalEvery = 0);

/// <summary>What is due after one step: a metrics line, a preview grid, a checkpoint, an evaluation.</summary>
public readonly record struct StepDuties(bool Log, bool Preview, bool Checkpoint, bool Evaluate = false)
{
    /// <summary>Anything that needs the step's losses on the host (the only place the host waits for the device).</summary>
    public bool Any => Log || Preview || Checkpoint || Evaluate;
}

/// <summary>
/// The part of a training run that diffusion-GAN and autoencoder training share, so they behave alike: the run folder
/// and metrics log, the cadence of logs, previews and checkpoints, the throughput and ETA shown, and what happens when
/// a signal stops the run (a checkpoint, then how to resume) or training diverges (which checkpoint was kept).
/// A session supplies only what differs: its trainer's step, its losses, its preview and its checkpoint.
/// </summary>
public sealed class TrainingRunLoop : IDisposable
{
    private readonly RunCadence _cadence;
    private readonly ITrainingObserver _observer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Stopwatch _window = Stopwatch.StartNew();
    private long _windowStart;
    private double _imagesPerSecond;

    /// <summary>Writes run.json and the resolved recipe, opens metrics.jsonl (trimmed to the resumed step), announces the plan and the notes.</summary>
    public TrainingRunLoop(TrainingPlan plan, RunCadence cadence, RunStart start, ITrainingObserver observer, params string?[] startNotes)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(start);
        _cadence = cadence;
        _observer = observer;
        RunFolder.Prepare(plan.RunDirectory, start.ResolvedToml, start.Seed, plan.Device, start.Plugins);
        Metrics = new MetricsLog(Path.Combine(plan.RunDirectory, "metrics.jsonl"), start.Resumed ? plan.StartStep : null);
        TensorBoard = new TensorBoardLog(plan.RunDirectory);
        StartStep = _windowStart = plan.StartStep;
        TotalSteps = plan.TotalSteps;
        observer.Started(plan);
        foreach (var note in startNotes)
            if (note is not null) observer.Note(note);
    }

    public MetricsLog Metrics { get; }
    /// <summary>The same numbers and the preview grids for TensorBoard (<c>tensorboard --logdir runs</c>).</summary>
    public TensorBoardLog TensorBoard { get; }
    /// <summary>Data time per step over the log window; sessions add each step's wait and log the mean as <c>data_ms</c>.</summary>
    public DataWaitWindow DataWait { get; } = new();
    public long StartStep { get; }
    public long TotalSteps { get; }
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>One metrics.jsonl line; its numbers (all but step and epoch) also go to TensorBoard as scalars.</summary>
    public void Log(long step, IReadOnlyDictionary<string, object?> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Metrics.Write(record);
        foreach (var (key, value) in record)
            if (key is not ("step" or "epoch") && value is double or float or int or long)
                TensorBoard.Scalar(key, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), step);
    }

    /// <summary>A preview grid written at <paramref name="step"/>, shown in TensorBoard's images.</summary>
    public void Preview(string pngPath, long step) => TensorBoard.Image("samples", pngPath, step);

    /// <summary>What <paramref name="step"/> owes: the last step always logs; its preview and checkpoint come after the loop.</summary>
    public StepDuties DutiesAt(long step) => new(
        Log: step % _cadence.LogEvery == 0 || step == TotalSteps,
        Preview: _cadence.SampleEvery > 0 && step % _cadence.SampleEvery == 0 && step != TotalSteps,
        Checkpoint: _cadence.CheckpointEvery > 0 && step % _cadence.CheckpointEvery == 0 && step != TotalSteps,
        Evaluate: _cadence.EvalEvery > 0 && step % _cadence.EvalEvery == 0);

    /// <summary>
    /// Starts a new throughput window at <paramref name="step"/>: after an evaluation, whose seconds are not training
    /// and would otherwise show as a slump in images/s and a jump in the ETA.
    /// </summary>
    public void RestartThroughput(long step)
    {
        _window.Restart();
        _windowStart = step;
    }

    /// <summary>
    /// Images per second over the last window of about a second, and the ETA at that rate (it follows the recent
    /// speed, not the average since the start).
    /// </summary>
    public (double ImagesPerSecond, TimeSpan Eta) Throughput(long step)
    {
        if (_window.Elapsed.TotalSeconds >= 1 || step == TotalSteps)
        {
            _imagesPerSecond = (step - _windowStart) * _cadence.BatchSize / _window.Elapsed.TotalSeconds;
            _window.Restart();
            _windowStart = step;
        }
        double perStep = _imagesPerSecond > 0 ? _cadence.BatchSize / _imagesPerSecond : _clock.Elapsed.TotalSeconds / Math.Max(1, step - StartStep);
        return (_imagesPerSecond, TimeSpan.FromSeconds(perStep * (TotalSteps - step)));
    }

    /// <summary>
    /// Runs the training loop. A stop (Ctrl+C, SIGTERM) saves a checkpoint and says how to resume before it rethrows;
    /// divergence says which checkpoint was kept.
    /// </summary>
    /// <param name="budgetSpent">True when a cancellation came from the run's own time budget ([train] max_hours): the run ends normally.</param>
    public void Run(Action train, Action saveCheckpoint, string checkpointPath, string resumeCommand, Func<long> currentStep, Func<bool>? budgetSpent = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(saveCheckpoint);
        ArgumentNullException.ThrowIfNull(currentStep);
        try
        {
            train();
        }
        catch (TrainingDivergedException e)
        {
            throw e.WithCheckpointNote(File.Exists(checkpointPath)
                ? $"The last checkpoint, written before it, was kept: {checkpointPath}."
                : "No checkpoint had been written yet.");
        }
        catch (OperationCanceledException) when (budgetSpent?.Invoke() == true)
        {
        }
        catch (OperationCanceledException)
        {
            saveCheckpoint();
            _observer.Note($"interrupted at step {currentStep()}; checkpoint saved to {checkpointPath}. Continue with: {resumeCommand}");
            throw;
        }
    }

    public void Dispose()
    {
        Metrics.Dispose();
        TensorBoard.Dispose();
    }
}

/// <summary>What a run writes before its first step: its resolved recipe, seed and plugins, and whether it resumes.</summary>
public sealed record RunStart(string ResolvedToml, long Seed, IReadOnlyList<Plugins.LoadedPlugin> Plugins, bool Resumed);

/// <summary>
/// What every training run holds besides its model: its folder (checked before anything is built), the thread count
/// (process-wide, so given back at the end), its device and its random streams.
/// </summary>
public sealed class RunEnvironment : IDisposable
{
    private readonly int _threadsBefore = torch.get_num_threads();

    public RunEnvironment(string runDirectory, bool resume, int threads, string device, RuntimeOptions runtime, long seed)
    {
        RunDirectory = Path.GetFullPath(runDirectory);
        Resumed = resume;
        RunFolder.CheckStart(RunDirectory, CheckpointPath, resume);
        if (threads > 0) torch.set_num_threads(threads);
        Device = DeviceSelection.Resolve(device, runtime);
        Rng = new RandomStreams(seed);
    }

    public string RunDirectory { get; }
    public string CheckpointPath => Path.Combine(RunDirectory, "checkpoints", CheckpointFile.LatestName);
    public bool Resumed { get; }
    public torch.Device Device { get; }
    public RandomStreams Rng { get; }

    /// <summary>The command that continues this run, for the note printed when a signal stops it.</summary>
    public string ResumeCommand(string? recipePath) => $"lddgan train {recipePath ?? "<recipe.toml>"} --resume -o {RunDirectory}";

    public void Dispose()
    {
        Rng.Dispose();
        torch.set_num_threads(_threadsBefore);
    }
}
