using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Recipes;

namespace LddGan.Evaluation;

/// <summary>
/// Which dataset an evaluation compares against, before it is opened: the <c>[data]</c> spec and where it came from
/// (<see cref="Origin"/>: "the checkpoint's recipe", a recipe file, or an image folder).
/// </summary>
public sealed record ReferenceSource(ComponentSpec Data, string Origin)
{
    /// <summary>The dataset type that reads a folder of images (<c>--reference &lt;folder&gt;</c>).</summary>
    public const string ImageFolderType = "image-folder";

    /// <summary>
    /// <paramref name="reference"/> null: the checkpoint recipe's own dataset. A <c>.toml</c> file: that recipe's
    /// <c>[data]</c> section (any recipe kind; its other sections are not read). A folder: an <c>image-folder</c> dataset
    /// of it with the samples' side and channel count, built through the catalog.
    /// </summary>
    public static ReferenceSource Resolve(string? reference, ComponentSpec checkpointData, SampleShape samples, ComponentCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(checkpointData);
        ArgumentNullException.ThrowIfNull(catalog);
        if (string.IsNullOrWhiteSpace(reference)) return new(checkpointData, "the checkpoint's recipe");
        string full = Path.GetFullPath(reference);
        if (Directory.Exists(full)) return ImageFolder(full, samples, catalog);
        if (File.Exists(full) && full.EndsWith(".toml", StringComparison.OrdinalIgnoreCase))
            return new(new DataSectionLoader(catalog).LoadFile(full), full);
        throw new EvaluationException(File.Exists(full)
            ? $"--reference {reference}: a reference is a .toml recipe (its [data] section is used) or a folder of images; this file is neither."
            : $"--reference {reference}: no such recipe file or folder ({full}). Pass a .toml recipe whose [data] names the dataset, or a folder of images.");
    }

    private static ReferenceSource ImageFolder(string folder, SampleShape samples, ComponentCatalog catalog)
    {
        if (!catalog.TryResolve(ComponentKind.Dataset, ImageFolderType, out _))
            throw new EvaluationException(
                $"--reference {folder}: reading a folder of images needs the dataset type \"{ImageFolderType}\", which this build does not have " +
                $"(datasets: {string.Join(", ", catalog.NamesOf(ComponentKind.Dataset))}). Pass a .toml recipe whose [data] names one of these instead.");
        if (samples.IsVector || samples.Height != samples.Width)
            throw new EvaluationException(
                $"--reference {folder}: a folder of images is read at the samples' side, but this checkpoint's samples are {samples} (not square images). " +
                "Pass a .toml recipe whose [data] reads the reference instead.");
        // Written as a recipe and read back with the recipe binder, so the folder's options are checked as a recipe's would be.
        string toml = new TomlWriter().Table("data")
            .Key("type", ImageFolderType).Key("path", folder).Key("resolution", samples.Height).Key("channels", samples.Channels)
            .ToString();
        var spec = new DataSectionLoader(catalog).Parse(toml, $"--reference {folder}");
        return new(spec, folder);
    }
}
