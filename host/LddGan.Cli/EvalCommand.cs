using System.CommandLine;
using LddGan.Engine.Recipes;
using LddGan.Evaluation;
using Spectre.Console;

namespace LddGan.Cli;

public static class EvalCommand
{
    public static Command Create(Option<string[]> plugins)
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "A .ckpt file, or a run directory (uses its checkpoints/latest.ckpt)." };
        var n = new Option<int>("--n") { Description = "Samples to generate, and real reference images (the first n of the split).", DefaultValueFactory = _ => 10_000 };
        var batch = new Option<int>("--batch") { Description = "Samples generated (and images featurised) per batch.", DefaultValueFactory = _ => 250 };
        var seed = new Option<long>("--seed") { Description = "Seed of the sampling noise.", DefaultValueFactory = _ => 0 };
        var features = new Option<string>("--features") { Description = $"Feature extractor: {string.Join(", ", FeatureExtractors.Names)}.", DefaultValueFactory = _ => FeatureNetExtractor.ExtractorName };
        var split = new Option<string>("--split") { Description = "Reference split: test or train (for a reference dataset with splits).", DefaultValueFactory = _ => "test" };
        var reference = new Option<string?>("--reference")
        {
            Description = "The real images: a .toml recipe (its [data] section) or a folder of images (the image-folder dataset at the samples' size). " +
                          "Default: the checkpoint recipe's dataset.",
        };
        split.AcceptOnlyFromAmong("test", "train");
        var weights = new Option<string?>("--feature-weights") { Description = $"Feature network weights (default: {FeatureNetExtractor.DefaultWeights}, looked up from the working directory upwards)." };
        var cache = new Option<string?>("--cache") { Description = "Folder for cached real-data features (default: $LDDGAN_CACHE/eval, else runs/.cache/eval)." };
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto (default: the recipe's device)." };
        var output = new Option<string?>("--out", "-o") { Description = "Where to write the JSON report (default: eval.json in the run directory, else runs/eval/<checkpoint name>.eval.json)." };
        var command = new Command("eval", "Evaluate a checkpoint: FID in the feature network's space (FID-FMNIST), precision and recall (k = 3) against the dataset, NFE; writes eval.json.")
        {
            checkpoint, n, batch, seed, features, split, reference, weights, cache, device, output,
        };
        var realData = new Option<bool>("--real-data") { Description = "The floor: the argument is a recipe (.toml); its dataset's first n training images are measured as samples against the first n test images." };
        command.Options.Add(realData);
        var resume = new Option<bool>("--resume")
        {
            Description = "Keep the sample features made so far in <report>.partial after every batch and resume from it: an interrupted evaluation " +
                          "(Ctrl+C, a stopped machine) run again with the same arguments continues with the same samples. The file is removed when it completes.",
        };
        command.Options.Add(resume);
        var samplerFlags = new SamplerFlags();
        foreach (var option in samplerFlags.All) command.Options.Add(option);
        command.SetAction(parse => ErrorReporting.Run(() =>
        {
            string target = parse.GetRequiredValue(checkpoint);
            string? referencePath = parse.GetValue(reference);
            // A reference recipe may name a plugin's dataset: its plugin folders are loaded too.
            var referenceRecipe = referencePath is not null && File.Exists(referencePath) && referencePath.EndsWith(".toml", StringComparison.OrdinalIgnoreCase)
                ? RecipeDocument.Read(referencePath) : null;
            using var host = new HostContext((parse.GetValue(plugins) ?? []).Concat(referenceRecipe?.PluginFolders ?? []), HostContext.RecipeOfRun(target));
            var options = new EvaluationOptions
            {
                Count = parse.GetValue(n),
                BatchSize = parse.GetValue(batch),
                Seed = parse.GetValue(seed),
                Features = parse.GetValue(features)!,
                Split = parse.GetValue(split)!,
                Reference = referencePath,
                FeatureWeights = parse.GetValue(weights),
                CacheFolder = parse.GetValue(cache),
                Device = parse.GetValue(device),
                Sampling = samplerFlags.Read(parse),
            };
            // Checked before minutes of sampling, not after.
            string path = Path.GetFullPath(parse.GetValue(output) ?? EvaluationReport.DefaultPath(target));
            UsageException.RequireWritableFolderFor(path, "--out");
            if (parse.GetValue(resume)) options = options with { ProgressFile = path + ".partial" };
            var runner = new EvaluationRunner(host.Catalog);
            if (parse.GetValue(realData) && !(File.Exists(target) && target.EndsWith(".toml", StringComparison.OrdinalIgnoreCase)))
                throw new UsageException($"--real-data measures a dataset, not a model: pass a recipe (.toml) whose [data] names it, not {target}.");
            // An autoencoder checkpoint is evaluated by its reconstructions: the ceiling of a model in its latent space.
            var report = parse.GetValue(realData)
                ? WithProgress(progress => runner.RunRealData(target, options, progress))
                : EvaluationRunner.IsAutoencoderCheckpoint(target)
                    ? WithProgress(progress => runner.RunReconstructions(target, options, progress))
                    : WithProgress(progress => runner.Run(target, options, progress));
            report.Save(path);
            Print(report, path);
            return ErrorReporting.Ok;
        }));
        return command;
    }

    private static EvaluationReport WithProgress(Func<IProgress<EvaluationProgress>?, EvaluationReport> run)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
            return run(new LineProgress());
        EvaluationReport? report = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx => report = run(new BarProgress(ctx)));
        return report!;
    }

    private static void Print(EvaluationReport r, string path)
    {
        var table = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        string featureName = r.Features == FeatureNetExtractor.ExtractorName ? "FID-FMNIST" : $"FID ({r.Features})";
        table.AddRow(featureName, $"{r.Fid:F3}{(r.FidEpsilonFallback ? " (ε·I fallback)" : "")}");
        table.AddRow($"precision (k = {r.K})", $"{r.Precision:F4}");
        table.AddRow($"recall (k = {r.K})", $"{r.Recall:F4}");
        if (r.ReconstructionL1 is { } l1) table.AddRow("reconstruction L1 (pixels in [[-1, 1]])", $"{l1:F4}");
        if (r.ReconstructionPsnr is { } psnr) table.AddRow("reconstruction PSNR", $"{psnr:F2} dB");
        table.AddRow("NFE", r.Nfe.ToString());
        table.AddRow("samples", $"{r.Samples:N0} (seed {r.Seed}, {r.Weights} weights, step {r.GlobalStep:N0}" +
                                (r.TrainingSeconds > 0 ? $", {r.TrainingSeconds / 3600:F2} h of training)" : ")"));
        table.AddRow("reference", Markup.Escape(ReferenceText(r)));
        table.AddRow("sampling + features", $"{r.SamplingSeconds:F1} s{(r.ResumedSamples > 0 ? $" (this run; {r.ResumedSamples:N0} samples resumed from an earlier run)" : "")}");
        table.AddRow("total", $"{r.TotalSeconds:F1} s on {Markup.Escape(r.Device)}");
        AnsiConsole.Write(table);
        if (r.ProgressFileDiscarded is { } why) AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(why)}[/]");
        AnsiConsole.MarkupLine($"report → [bold]{Markup.Escape(path)}[/]");
    }

    /// <summary>"10,000 fashion-mnist test images (/usr/share/…; sha256:1234abcd…; cached features)".</summary>
    private static string ReferenceText(EvaluationReport r)
    {
        var d = r.Reference;
        string what = $"{r.ReferenceImages:N0} {d?.Type ?? r.Dataset}{(d?.Split is { } s ? " " + s : "")} images";
        var details = new List<string>();
        if (d?.Path is { } path) details.Add(path);
        else if (d is not null) details.Add($"from {d.Origin}");
        if (d?.ContentHash is { } hash) details.Add(hash.Length > 23 ? hash[..23] + "…" : hash);
        details.Add(r.ReferenceFromCache ? "cached features" : r.ReferenceCacheFile is null ? "not cached: no content hash" : "features cached now");
        return $"{what} ({string.Join("; ", details)})";
    }

    /// <summary>One Spectre task per stage.</summary>
    private sealed class BarProgress(ProgressContext context) : IProgress<EvaluationProgress>
    {
        private readonly Dictionary<string, ProgressTask> _tasks = [];

        public void Report(EvaluationProgress value)
        {
            if (!_tasks.TryGetValue(value.Stage, out var task))
                _tasks[value.Stage] = task = context.AddTask(value.Stage, maxValue: Math.Max(1, value.Total));
            task.Value = value.Done;
            if (value.Done >= value.Total) task.StopTask();   // stops its clock while the next stage runs
        }
    }

    /// <summary>Redirected output: a line per stage at its start and end.</summary>
    private sealed class LineProgress : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value)
        {
            if (value.Done == 0 || value.Done == value.Total) Console.WriteLine($"{value.Stage}: {value.Done:N0}/{value.Total:N0}");
        }
    }
}
