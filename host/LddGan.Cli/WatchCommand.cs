using System.CommandLine;
using System.Diagnostics;
using LddGan.Engine.Plugins;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using Spectre.Console;

namespace LddGan.Cli;

/// <summary>
/// <c>lddgan watch &lt;recipe&gt;</c>: a long-lived host that runs a short training of the recipe (and its sample grid),
/// then re-runs it whenever a plugin in the plugin folders is rebuilt (or the recipe changes), without restarting.
/// A rebuilt plugin that fails to load, or whose components fail to construct, does not replace the working version.
/// </summary>
public static class WatchCommand
{
    public static Command Create(Option<string[]> plugins, StopSignals signals)
    {
        var recipe = new Argument<FileInfo>("recipe") { Description = "A TOML recipe to re-run on every plugin change." };
        var maxSteps = new Option<long>("--max-steps") { Description = "Training steps per run (short on purpose).", DefaultValueFactory = _ => 20 };
        var output = new Option<string>("--output", "-o") { Description = "Folder for the runs (run-001, run-002, ...).", DefaultValueFactory = _ => Path.Combine("runs", "watch") };
        var interval = new Option<int>("--interval") { Description = "Milliseconds between checks of the plugin folders.", DefaultValueFactory = _ => 500 };
        var maxRuns = new Option<int?>("--max-runs") { Description = "Stop after this many runs (default: until Ctrl+C)." };
        var command = new Command("watch", "Re-run a short training recipe whenever a plugin is rebuilt, without restarting the host (hot swap).")
        {
            recipe, maxSteps, output, interval, maxRuns,
        };
        command.SetAction(parse => ErrorReporting.Run(() =>
        {
            string recipePath = parse.GetRequiredValue(recipe).FullName;
            UsageException.RequirePositive(parse.GetValue(maxSteps), "--max-steps");
            UsageException.RequireCreatableFolder(parse.GetValue(output)!, "--output");
            using var host = new HostContext(parse.GetValue(plugins) ?? [], RecipeDocument.Read(recipePath));
            var watch = new Watcher(host.Manager, recipePath, parse.GetValue(maxSteps), Path.GetFullPath(parse.GetValue(output)!),
                                    parse.GetValue(interval), parse.GetValue(maxRuns));
            using (signals.Listen()) watch.Run(signals.Token);
            return ErrorReporting.Ok;
        }, signals));
        return command;
    }

    private sealed class Watcher(PluginManager manager, string recipePath, long maxSteps, string outputRoot, int intervalMs, int? maxRuns)
    {
        private int _runs;

        public void Run(CancellationToken cancellation)
        {
            AnsiConsole.MarkupLine($"watching [bold]{Markup.Escape(string.Join(", ", manager.Folders))}[/] and {Markup.Escape(recipePath)} (Ctrl+C to stop)");
            var recipeStamp = File.GetLastWriteTimeUtc(recipePath);
            RunOnce();
            while (!cancellation.IsCancellationRequested && (maxRuns is null || _runs < maxRuns))
            {
                if (cancellation.WaitHandle.WaitOne(intervalMs)) break;
                var refresh = manager.Refresh();
                HostContext.Warn(refresh.Problems);
                foreach (var p in refresh.Swapped)
                    AnsiConsole.MarkupLine($"[green]swapped[/] {Markup.Escape(p.Name)} → version {Markup.Escape(p.Version)}, generation {p.Generation}, sha256 {p.Sha256[..12]}");
                foreach (var p in refresh.Added) AnsiConsole.MarkupLine($"[green]added[/] {Markup.Escape(p.Name)} {Markup.Escape(p.Version)}");
                foreach (var name in refresh.Removed) AnsiConsole.MarkupLine($"[yellow]removed[/] {Markup.Escape(name)}");
                bool recipeChanged = File.Exists(recipePath) && File.GetLastWriteTimeUtc(recipePath) != recipeStamp;
                if (recipeChanged) recipeStamp = File.GetLastWriteTimeUtc(recipePath);
                if (refresh.CatalogChanged || recipeChanged) RunOnce();
            }
        }

        private void RunOnce()
        {
            _runs++;
            // Never touch what this process did not create: earlier runs' folders are skipped, not deleted.
            int index = _runs;
            string runDir;
            while (Directory.Exists(runDir = Path.Combine(outputRoot, $"run-{index:000}"))) index++;
            var clock = Stopwatch.StartNew();
            string versions = string.Join(", ", manager.Plugins.Select(p => $"{p.Name} {p.Version} (gen {p.Generation}, {p.Sha256[..8]})"));
            AnsiConsole.MarkupLine($"[bold]run {_runs}[/] with {Markup.Escape(versions.Length > 0 ? versions : "built-ins only")} → {Markup.Escape(runDir)}");
            try
            {
                var recipe = new RecipeLoader(manager.Catalog).LoadFile(recipePath);
                // A watch run is a short smoke run of the plugins: no FID during it.
                recipe = recipe with { Train = recipe.Train with { MaxSteps = maxSteps, EvalEvery = 0 } };
                TrainingSession session;
                try
                {
                    session = new TrainingSession(recipe, manager.Catalog, manager.Plugins,
                        new TrainingSessionOptions { RunDirectory = runDir }, new SpectreTrainingObserver(null, Math.Max(1, (int)(maxSteps / 4))));
                }
                catch (Exception e) when (manager.HasPendingSwaps)
                {
                    var restored = manager.RevertSwaps();
                    AnsiConsole.MarkupLine($"[red]the new plugin version failed to build its components:[/] {Markup.Escape(e.GetType().Name)}: {Markup.Escape(e.Message)}");
                    AnsiConsole.MarkupLine($"[yellow]kept serving[/] {Markup.Escape(string.Join(", ", restored.Select(p => $"{p.Name} generation {p.Generation}")))}; fix the plugin and rebuild.");
                    return;
                }
                using (session) session.Run();
                AnsiConsole.MarkupLine($"run {_runs} done in {clock.Elapsed.TotalSeconds:F1} s → [bold]{Markup.Escape(Path.Combine(runDir, "samples", "final.png"))}[/]");
                if (manager.HasPendingSwaps)
                {
                    manager.ConfirmSwaps();
                    int alive = manager.CountLiveRetiredContexts();
                    AnsiConsole.MarkupLine($"previous plugin versions unloaded: {manager.RetiredContexts.Count - alive} of {manager.RetiredContexts.Count} retired load contexts collected");
                }
            }
            catch (Exception e) when (e is RecipeException or LddGan.Engine.Components.ComponentResolutionException or PluginLoadException)
            {
                AnsiConsole.MarkupLine($"[red]run {_runs} not started:[/] {Markup.Escape(e.Message)}");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                AnsiConsole.MarkupLine($"[red]run {_runs} failed:[/] {Markup.Escape(e.GetType().Name)}: {Markup.Escape(e.Message)} — waiting for the next change.");
            }
        }
    }
}
