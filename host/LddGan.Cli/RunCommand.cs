using System.CommandLine;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using LddGan.Evaluation;
using LddGan.Scripting;

namespace LddGan.Cli;

/// <summary>
/// <c>lddgan run recipe.csx [-- args]</c> runs a C# script recipe; <c>lddgan run recipe.toml</c> (including a run's
/// <c>recipe.resolved.toml</c>) trains it, as <c>lddgan train</c> does.
/// </summary>
public static class RunCommand
{
    public static Command Create(Option<string[]> plugins, StopSignals signals)
    {
        var recipe = new Argument<FileInfo>("recipe") { Description = "A .csx script or a .toml recipe (e.g. runs/<name>/recipe.resolved.toml)." };
        var scriptArgs = new Argument<string[]>("args") { Description = "Arguments for the script, after --.", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "Run directory for a TOML recipe (default: [output] dir, else runs/<name>)." };
        var command = new Command("run", "Run a recipe: a .csx C# script (arguments after --) or a TOML recipe.") { recipe, scriptArgs, output };
        command.SetAction(parse => ErrorReporting.Run(() =>
        {
            var file = parse.GetRequiredValue(recipe);
            if (!file.Exists) throw new RecipeException($"{file.FullName}: error: recipe file not found.");
            var document = file.Extension == ".toml" ? RecipeDocument.Read(file.FullName) : null;
            using var host = new HostContext(parse.GetValue(plugins) ?? [], document);
            switch (file.Extension.ToLowerInvariant())
            {
                case ".csx":
                    var globals = new RecipeContext(file.FullName, parse.GetValue(scriptArgs) ?? [], host.Catalog, host.Plugins,
                                                    stop: signals.Token, listenForStop: signals.Listen);
                    var result = new ScriptHost().Run(file.FullName, globals);
                    if (result is not null) Console.WriteLine(result);
                    return ErrorReporting.Ok;
                case ".toml":
                    var loaded = new RecipeLoader(host.Catalog).Bind(document!);
                    using (var session = new TrainingSession(loaded, host.Catalog, host.Plugins,
                               new TrainingSessionOptions { RunDirectory = parse.GetValue(output), Evaluators = new TrainingFidEvaluatorFactory(host.Catalog) },
                               new SpectreTrainingObserver(null, Math.Max(loaded.Train.LogEvery, 1))))
                    using (signals.Listen())
                        session.Run(signals.Token);
                    return ErrorReporting.Ok;
                default:
                    throw new RecipeException($"{file.FullName}: error: a recipe is a .csx script or a .toml file.");
            }
        }, signals));
        return command;
    }
}
