using LddGan.Abstractions;

namespace LddGan.Engine.Data;

/// <summary>Options of the Fashion-MNIST dataset (recipe table <c>[data]</c>, type <c>fashion-mnist</c>).</summary>
public sealed record FashionMnistOptions : IValidatableOptions
{
    public const string DefaultPath = "/usr/share/datasets/fashion-mnist";

    /// <summary>Folder holding the IDX files (gzip or raw), as installed by the Debian package <c>dataset-fashion-mnist</c>.</summary>
    public string Path { get; init; } = DefaultPath;

    /// <summary><c>train</c> (60,000 images) or <c>test</c> (10,000).</summary>
    public string Split { get; init; } = "train";

    /// <summary>Side of the square images produced: 32 pads 28×28 by 2 px of background; 28 keeps them; other sizes resize bilinearly.</summary>
    public int ImageSize { get; init; } = 32;

    /// <summary>Flip each image horizontally with probability ½ (drawn from the augmentation generator).</summary>
    public bool RandomFlip { get; init; }

    /// <summary>Use only the first <c>limit</c> samples; 0 uses all.</summary>
    public int Limit { get; init; }

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Path)) yield return "path must name the folder with the Fashion-MNIST IDX files.";
        if (Split is not ("train" or "test")) yield return $"split must be \"train\" or \"test\", not \"{Split}\".";
        if (ImageSize < 8 || ImageSize > 1024) yield return $"image_size must be between 8 and 1024, not {ImageSize}.";
        if (Limit < 0) yield return $"limit must be 0 (all samples) or a positive count, not {Limit}.";
    }
}
