using System.CommandLine;
using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Data;
using LddGan.Engine.Data.ImageFolder;
using LddGan.Engine.Recipes;
using Spectre.Console;
using static TorchSharp.torch;

namespace LddGan.Cli;

/// <summary><c>lddgan data prepare</c> (an image folder into its memory-mapped pack) and <c>lddgan data export</c> (any dataset as PNG files).</summary>
public static class DataCommand
{
    public static Command Create(Option<string[]> plugins) => new("data", "Prepare image folders for training, or write a dataset's images as PNG files.")
    {
        Prepare(plugins),
        Export(plugins),
    };

    private static Command Prepare(Option<string[]> plugins)
    {
        var source = new Argument<string>("source") { Description = "A recipe (.toml) whose [data] is an image-folder, or a folder of images." };
        var resolution = new Option<int?>("--resolution") { Description = "For a folder: side of the square images (default 32)." };
        var channels = new Option<int?>("--channels") { Description = "For a folder: 1 or 3 (default: from the images)." };
        var labels = new Option<string?>("--labels") { Description = "For a folder: none or subfolders (default none)." };
        labels.AcceptOnlyFromAmong(ImageFolderOptions.NoLabels, ImageFolderOptions.SubfolderLabels);
        var cacheDir = new Option<string?>("--cache-dir") { Description = "For a folder: where the prepared file goes (default $LDDGAN_CACHE/data, else runs/.cache/data)." };
        var strict = new Option<bool>("--strict") { Description = "For a folder: stop at the first unreadable image instead of skipping it." };
        var upscale = new Option<bool>("--allow-upscale") { Description = "For a folder: enlarge images smaller than the resolution." };
        var command = new Command("prepare",
            "Decode and resize an image folder once into a packed file (uint8 pixels, labels, a manifest) that training memory-maps; " +
            "a folder that has not changed is not prepared again.")
        {
            source, resolution, channels, labels, cacheDir, strict, upscale,
        };
        command.SetAction(parse => ErrorReporting.Run(() =>
        {
            string target = parse.GetRequiredValue(source);
            ImageFolderOptions options;
            if (target.EndsWith(".toml", StringComparison.OrdinalIgnoreCase) && File.Exists(target))
            {
                if (parse.GetValue(resolution) is not null || parse.GetValue(channels) is not null || parse.GetValue(labels) is not null
                    || parse.GetValue(cacheDir) is not null || parse.GetValue(strict) || parse.GetValue(upscale))
                    throw new UsageException($"{target} is a recipe: set resolution, channels, labels, cache_dir, strict and allow_upscale under its [data], not on the command line.");
                var document = RecipeDocument.Read(target);
                using var host = new HostContext(parse.GetValue(plugins) ?? [], document);
                var spec = new DataSectionLoader(host.Catalog).Bind(document);
                options = spec.Options as ImageFolderOptions ?? throw new UsageException(
                    $"{target}: [data] type = \"{spec.Type}\" is read from its own files and needs no preparation; only type = \"image-folder\" is prepared.");
            }
            else if (Directory.Exists(target))
            {
                options = new ImageFolderOptions
                {
                    Path = target,
                    Resolution = parse.GetValue(resolution) ?? 32,
                    Channels = parse.GetValue(channels) ?? 0,
                    Labels = parse.GetValue(labels) ?? ImageFolderOptions.NoLabels,
                    CacheDir = parse.GetValue(cacheDir) ?? "",
                    Strict = parse.GetValue(strict),
                    AllowUpscale = parse.GetValue(upscale),
                };
                var errors = options.Validate().ToList();
                if (errors.Count > 0) throw new UsageException(string.Join(" ", errors.Select(e => "--" + e.Replace('_', '-'))));
            }
            else throw new UsageException($"{target}: neither a recipe (.toml) nor a folder. Name a recipe whose [data] type is image-folder, or a folder of images.");

            UsageException.RequireCreatableFolder(options.ResolvedCacheDir, options.CacheDir == "" ? "the cache folder" : "--cache-dir");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var dataset = ImageFolderDataset.Open(options, new LineProgress());
            foreach (var note in dataset.Notes) Console.WriteLine(note);
            Console.WriteLine($"{dataset.Count:N0} images {dataset.Shape}{(dataset is ILabeledDataset l ? $", {l.ClassNames.Count} classes" : "")}, " +
                              $"{new FileInfo(dataset.PackPath!).Length / 1048576.0:F1} MiB, {dataset.ContentHash[..23]}…, {clock.Elapsed.TotalSeconds:F1} s");
            return ErrorReporting.Ok;
        }));
        return command;
    }

    private static Command Export(Option<string[]> plugins)
    {
        var recipe = new Argument<string>("recipe") { Description = "A recipe (.toml) whose [data] names the dataset to write." };
        var output = new Option<string>("--out", "-o") { Description = "Folder to write the PNG files to (created).", Required = true };
        var split = new Option<string?>("--split") { Description = "train or test, for datasets that have splits (default: the recipe's)." };
        var limit = new Option<long?>("--limit") { Description = "Write only the first N images." };
        var byClass = new Option<bool>("--by-class") { Description = "One subfolder per class (<label>-<name>), for labels = \"subfolders\"." };
        var command = new Command("export", "Write a dataset's images (unflipped, in order) as PNG files that the image-folder dataset reads.")
        {
            recipe, output, split, limit, byClass,
        };
        command.SetAction(parse => ErrorReporting.Run(() =>
        {
            string path = parse.GetRequiredValue(recipe);
            string folder = parse.GetRequiredValue(output);
            UsageException.RequirePositive(parse.GetValue(limit), "--limit");
            if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
                throw new UsageException($"--out {folder} is not empty; choose a new or empty folder (nothing there is overwritten).");
            UsageException.RequireCreatableFolder(folder, "--out");
            var document = RecipeDocument.Read(path);
            using var host = new HostContext(parse.GetValue(plugins) ?? [], document);
            var spec = UnaugmentedData.Of(new DataSectionLoader(host.Catalog).Bind(document), parse.GetValue(split));
            using var dataset = new ComponentBuilder(host.Catalog).Build<IDataset>(spec, new ComponentContext(default, default, 0, CPU));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long written = ImageFolderExport.Write(dataset, folder, parse.GetValue(limit) ?? long.MaxValue, parse.GetValue(byClass), new LineProgress());
            Console.WriteLine($"wrote {written:N0} {dataset.Shape} images of {spec.Type} to {Path.GetFullPath(folder)} in {clock.Elapsed.TotalSeconds:F1} s");
            return ErrorReporting.Ok;
        }));
        return command;
    }

    /// <summary>A line at each stage's start and end, and every ~10 % in between.</summary>
    private sealed class LineProgress : IProgress<PrepareProgress>
    {
        private long _lastTenth = -1;
        private readonly object _gate = new();

        public void Report(PrepareProgress value)
        {
            lock (_gate)
            {
                long tenth = value.Total == 0 ? 10 : 10 * value.Done / value.Total;
                if (value.Done == 0) _lastTenth = 0;
                else if (tenth == _lastTenth) return;
                _lastTenth = tenth;
                Console.WriteLine($"{value.Stage}: {value.Done:N0}/{value.Total:N0}");
            }
        }
    }
}
