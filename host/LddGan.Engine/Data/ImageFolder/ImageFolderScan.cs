using System.Security.Cryptography;
using System.Text;

namespace LddGan.Engine.Data.ImageFolder;

/// <summary>One image file found in the folder: its path relative to the folder ('/'-separated), size, modification time and class.</summary>
public sealed record ImageSource(string RelativePath, long Size, long ModifiedTicksUtc, int Label);

/// <summary>
/// The image files of a folder in sorted path order (ordinal, so every machine agrees), their classes when labels come
/// from subfolders, and a fingerprint of names, sizes and modification times that changes when the folder does.
/// </summary>
public sealed class ImageFolderScan
{
    public static readonly IReadOnlyList<string> Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif"];

    private ImageFolderScan(string folder, IReadOnlyList<ImageSource> sources, IReadOnlyList<string> classNames, string fingerprint)
    {
        Folder = folder;
        Sources = sources;
        ClassNames = classNames;
        Fingerprint = fingerprint;
    }

    /// <summary>The folder's full path.</summary>
    public string Folder { get; }
    public IReadOnlyList<ImageSource> Sources { get; }
    /// <summary>Sorted first-level subfolder names (labels = "subfolders"), else empty.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>SHA-256 over every source's path, size and time: equal fingerprints mean an unchanged folder.</summary>
    public string Fingerprint { get; }

    public string FullPath(ImageSource source) => System.IO.Path.Combine(Folder, source.RelativePath);

    public static ImageFolderScan Run(string path, bool labelsFromSubfolders)
    {
        string folder = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(folder))
            throw new DatasetNotFoundException(
                File.Exists(folder)
                    ? $"image-folder: {folder} is a file; set path under [data] to the folder that holds the images."
                    : $"image-folder: the folder {folder} does not exist; set path under [data] to a folder of images (PNG, JPEG, BMP, WebP).",
                folder);
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
            IgnoreInaccessible = true,
        };
        var files = new List<(string Relative, FileInfo Info)>();
        int others = 0;
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*", options))
        {
            string relative = System.IO.Path.GetRelativePath(folder, file.FullName).Replace('\\', '/');
            if (relative.Split('/').Any(part => part.StartsWith('.'))) continue;   // .git, .DS_Store, editors' temporaries
            if (Extensions.Contains(file.Extension.ToLowerInvariant())) files.Add((relative, file));
            else others++;
        }
        if (files.Count == 0)
            throw new DatasetException(
                $"image-folder: {folder} holds no images ({others:N0} other file{(others == 1 ? "" : "s")}; looked for " +
                $"{string.Join(", ", Extensions)} in it and its subfolders). Put the training images there or set path under [data].");
        files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));

        IReadOnlyList<string> classNames = [];
        Dictionary<string, int> classIndex = [];
        if (labelsFromSubfolders)
        {
            if (files.FirstOrDefault(f => !f.Relative.Contains('/')) is { Relative: not null } loose)
                throw new DatasetException(
                    $"image-folder: labels = \"subfolders\" takes each image's class from its first-level subfolder, but " +
                    $"{System.IO.Path.Combine(folder, loose.Relative)} lies directly in {folder}. Move the images into one subfolder per class, or set labels = \"none\".");
            classNames = files.Select(f => f.Relative[..f.Relative.IndexOf('/')]).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
            classIndex = classNames.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i);
        }

        var sources = files.Select(f => new ImageSource(f.Relative, f.Info.Length, f.Info.LastWriteTimeUtc.Ticks,
                                                        labelsFromSubfolders ? classIndex[f.Relative[..f.Relative.IndexOf('/')]] : 0)).ToList();
        return new ImageFolderScan(folder, sources, classNames, FingerprintOf(sources));
    }

    private static string FingerprintOf(IEnumerable<ImageSource> sources)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var s in sources) hash.AppendData(Encoding.UTF8.GetBytes($"{s.RelativePath}\t{s.Size}\t{s.ModifiedTicksUtc}\t{s.Label}\n"));
        return "sha256:" + Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}
