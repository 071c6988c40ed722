using System.CommandLine;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using LddGan.Evaluation;
using Spectre.Console;

namespace LddGan.Cli;

public static class TrainCommand
{
    public static Command Create(Option<string[]> plugins, StopSignals signals)
    {
        var recipe = new Argument<FileInfo>("recipe") { Description = "A TOML recipe (e.g. recipes/ddgan-fashion-mnist.toml) or a run's recipe.resolved.toml." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run from its latest checkpoint (same run directory)." };
        var output = new Option<string?>("--output", "-o") { Description = "Run directory (default: [output] dir, else runs/<name>)." };
        var maxSteps = new Option<long?>("--max-steps") { Description = "Override [train] max_steps (e.g. a quick smoke run)." };
        var retries = new Option<int>("--retries")
        {
            Description = "When libtorch fails mid-run, continue from the latest checkpoint this many times (resume is bit-exact; an error that comes back stops the run; 0: stop at the first).",
            DefaultValueFactory = _ => 2,
        };
        var command = new Command("train", "Train a diffusion GAN, or an autoencoder (a recipe with an [autoencoder] section), from a recipe; writes checkpoints, grids and metrics to the run directory.")
        {
            recipe, resume, output, maxSteps, retries,
        };
        command.SetAction(parse => ErrorReporting.Run(() =>
        {
            string path = parse.GetRequiredValue(recipe).FullName;
            var document = RecipeDocument.Read(path);   // read once: plugin folders, kind, then the binding
            using var host = new HostContext(parse.GetValue(plugins) ?? [], document);
            var options = new TrainingSessionOptions
            {
                Resume = parse.GetValue(resume), RunDirectory = parse.GetValue(output), Evaluators = new TrainingFidEvaluatorFactory(host.Catalog),
            };
            long? steps = parse.GetValue(maxSteps);
            UsageException.RequirePositive(steps, "--max-steps");
            int retryCount = parse.GetValue(retries);
            if (retryCount < 0) throw new UsageException($"--retries must be 0 or more, got {retryCount}.");
            if (options.RunDirectory is { } runDirectory) UsageException.RequireCreatableFolder(runDirectory, "--output");

            if (document.IsAutoencoder)
            {
                // A first-stage recipe ([autoencoder] section): train the autoencoder (LDDGAN's first stage).
                var loaded = new AutoencoderRecipeLoader(host.Catalog).Bind(document);
                if (steps is { } s) loaded = loaded with { Train = loaded.Train with { MaxSteps = s } };
                TrainWithRetries(loaded.Train.LogEvery, retryCount, options.Resume,
                    (resumeRun, observer) => new AutoencoderTrainingSession(loaded, host.Catalog, host.Plugins, options with { Resume = resumeRun }, observer),
                    session => session.CheckpointPath, session => { using (signals.Listen()) session.Run(signals.Token); });
            }
            else
            {
                var loaded = new RecipeLoader(host.Catalog).Bind(document);
                if (steps is { } s) loaded = loaded with { Train = loaded.Train with { MaxSteps = s } };
                TrainWithRetries(loaded.Train.LogEvery, retryCount, options.Resume,
                    (resumeRun, observer) => new TrainingSession(loaded, host.Catalog, host.Plugins, options with { Resume = resumeRun }, observer),
                    session => session.CheckpointPath, session => { using (signals.Listen()) session.Run(signals.Token); });
            }
            return ErrorReporting.Ok;
        }, signals));
        return command;
    }

    /// <summary>Runs a session to its end; when libtorch fails mid-run, a new session continues from the latest checkpoint (--retries).</summary>
    private static void TrainWithRetries<TSession>(int logEvery, int retries, bool resume, Func<bool, ITrainingObserver, TSession> create,
                                                    Func<TSession, string> checkpointPath, Action<TSession> run) where TSession : IDisposable =>
        WithObserver(logEvery, observer =>
        {
            string? checkpoint = null;
            TrainingRetries.Run(retries, resume, resumeRun =>
            {
                checkpoint = null;   // a session that cannot even be built is not retried
                using var session = create(resumeRun, observer);
                checkpoint = checkpointPath(session);
                run(session);
            }, () => checkpoint, observer.Note);
        });

    /// <summary>A progress bar on a terminal; a plain line every <paramref name="logEvery"/> steps when output is redirected.</summary>
    private static void WithObserver(int logEvery, Action<ITrainingObserver> run)
    {
        if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
        {
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                         new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx => run(new SpectreTrainingObserver(ctx.AddTask("starting", maxValue: 1), 0)));
        }
        else
        {
            run(new SpectreTrainingObserver(null, Math.Max(logEvery, 1)));
        }
    }
}
