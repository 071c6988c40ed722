using LddGan.Abstractions;

namespace LddGan.Engine.Data.ImageFolder;

/// <summary>Options of the image-folder dataset (recipe table <c>[data]</c>, type <c>image-folder</c>).</summary>
public sealed record ImageFolderOptions : IValidatableOptions
{
    public const string NoLabels = "none";
    public const string SubfolderLabels = "subfolders";

    /// <summary>Folder of images (PNG, JPEG, BMP, WebP, GIF's first frame), searched recursively; hidden files and folders are left out.</summary>
    public string Path { get; init; } = "data/images";

    /// <summary>Side of the square training images: each image is resized on its short side (bilinear, antialiased) and centre-cropped, as the official transform.</summary>
    public int Resolution { get; init; } = 32;

    /// <summary>1 (grayscale) or 3 (RGB); images are converted as needed. 0: from the images, which must then all agree.</summary>
    public int Channels { get; init; }

    /// <summary>Flip each image horizontally with probability ½ (drawn from the augmentation generator), as the official training.</summary>
    public bool RandomFlip { get; init; } = true;

    /// <summary><c>none</c>, or <c>subfolders</c>: the class of an image is its first-level subfolder (classes numbered in sorted name order).</summary>
    public string Labels { get; init; } = NoLabels;

    /// <summary>Stop on the first unreadable or damaged image instead of skipping it (skipped images are listed either way).</summary>
    public bool Strict { get; init; }

    /// <summary>Allow images smaller than <c>resolution</c> (upscaled); by default they are an error, since they would train on blur.</summary>
    public bool AllowUpscale { get; init; }

    /// <summary>
    /// Decode the folder once into a packed file that later runs memory-map (re-prepared when the folder changes).
    /// false: decode the images of every batch from their files.
    /// </summary>
    public bool Cache { get; init; } = true;

    /// <summary>Folder of prepared files. Empty: <c>$LDDGAN_CACHE/data</c>, else <c>runs/.cache/data</c> under the working directory.</summary>
    public string CacheDir { get; init; } = "";

    /// <summary>Use only the first <c>limit</c> images (in sorted path order); 0 uses all.</summary>
    public int Limit { get; init; }

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Path)) yield return "path must name a folder of images.";
        if (Resolution < 4 || Resolution > 4096) yield return $"resolution must be between 4 and 4096, not {Resolution}.";
        if (Channels is not (0 or 1 or 3)) yield return $"channels must be 1 (grayscale), 3 (RGB) or 0 (from the images), not {Channels}.";
        if (Labels is not (NoLabels or SubfolderLabels)) yield return $"labels must be \"{NoLabels}\" or \"{SubfolderLabels}\", not \"{Labels}\".";
        if (Limit < 0) yield return $"limit must be 0 (all images) or a positive count, not {Limit}.";
    }

    /// <summary>The folder prepared files go to (<see cref="CacheDir"/>, else the cache folder's <c>data</c>).</summary>
    public string ResolvedCacheDir => string.IsNullOrWhiteSpace(CacheDir) ? Runtime.CacheFolders.For("data") : System.IO.Path.GetFullPath(CacheDir);
}

[Component(ComponentKind.Dataset, "image-folder",
    Description = "Your own images: a folder (recursive) of PNG/JPEG/BMP/WebP, resized and centre-cropped, optional labels from subfolders, prepared once into a memory-mapped file.")]
public sealed class ImageFolderFactory : ComponentFactory<ImageFolderOptions, ImageFolderDataset>
{
    public override ImageFolderDataset Create(ImageFolderOptions options, ComponentContext context) => ImageFolderDataset.Open(options);
}
