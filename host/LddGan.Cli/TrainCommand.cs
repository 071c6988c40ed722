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
        var command = new Command("train", "Train a diffusion GAN, or an autoencoder (a recipe with an [autoencoder] section), from a recipe; writes checkpoints, grids and metrics to the run directory.")
        {
            recipe, resume, output, maxSteps,
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
            if (options.RunDirectory is { } runDirectory) UsageException.RequireCreatableFolder(runDirectory, "--output");

            if (document.IsAutoencoder)
            {
                // A first-stage recipe ([autoencoder] section): train the autoencoder (LDDGAN's first stage).
                var loaded = new AutoencoderRecipeLoader(host.Catalog).Bind(document);
                if (steps is { } s) loaded = loaded with { Train = loaded.Train with { MaxSteps = s } };
                WithObserver(loaded.Train.LogEvery, observer =>
                {
                    using var session = new AutoencoderTrainingSession(loaded, host.Catalog, host.Plugins, options, observer);
                    session.Run(signals.Token);
                });
            }
            else
            {
                var loaded = new RecipeLoader(host.Catalog).Bind(document);
                if (steps is { } s) loaded = loaded with { Train = loaded.Train with { MaxSteps = s } };
                WithObserver(loaded.Train.LogEvery, observer =>
                {
                    using var session = new TrainingSession(loaded, host.Catalog, host.Plugins, options, observer);
                    session.Run(signals.Token);
                });
            }
            return ErrorReporting.Ok;
        }, signals));
        return command;
    }

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
