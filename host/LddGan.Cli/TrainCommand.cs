using System.CommandLine;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using Spectre.Console;

namespace LddGan.Cli;

public static class TrainCommand
{
    public static Command Create(Option<string[]> plugins)
    {
        var recipe = new Argument<FileInfo>("recipe") { Description = "A TOML recipe (e.g. recipes/ddgan-fashion-mnist.toml) or a run's recipe.resolved.toml." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run from its latest checkpoint (same run directory)." };
        var output = new Option<string?>("--output", "-o") { Description = "Run directory (default: [output] dir, else runs/<name>)." };
        var maxSteps = new Option<long?>("--max-steps") { Description = "Override [train] max_steps (e.g. a quick smoke run)." };
        var command = new Command("train", "Train a diffusion GAN from a recipe; writes checkpoints, sample grids and metrics to the run directory.")
        {
            recipe, resume, output, maxSteps,
        };
        command.SetAction(parse => ErrorReporting.Run(() =>
        {
            using var host = new HostContext(parse.GetValue(plugins) ?? [], parse.GetRequiredValue(recipe).FullName);
            var loaded = new RecipeLoader(host.Catalog).LoadFile(parse.GetRequiredValue(recipe).FullName);
            if (parse.GetValue(maxSteps) is { } steps) loaded = loaded with { Train = loaded.Train with { MaxSteps = steps } };
            var options = new TrainingSessionOptions { Resume = parse.GetValue(resume), RunDirectory = parse.GetValue(output) };

            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

            if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
            {
                AnsiConsole.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                             new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask("starting", maxValue: 1);
                        using var session = new TrainingSession(loaded, host.Catalog, host.Plugins, options, new SpectreTrainingObserver(task, 0));
                        session.Run(cancel.Token);
                    });
            }
            else
            {
                using var session = new TrainingSession(loaded, host.Catalog, host.Plugins, options,
                    new SpectreTrainingObserver(null, Math.Max(loaded.Train.LogEvery, 1)));
                session.Run(cancel.Token);
            }
            return ErrorReporting.Ok;
        }));
        return command;
    }
}
