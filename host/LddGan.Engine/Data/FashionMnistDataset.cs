using LddGan.Abstractions;
using static TorchSharp.torch;

namespace LddGan.Engine.Data;

/// <summary>
/// Fashion-MNIST (Xiao et al. 2017) from its IDX files: 28×28 grayscale, 10 classes. The pixels stay in memory as bytes;
/// <see cref="GetBatch"/> gathers, scales to [−1, 1] (x/127.5 − 1), brings them to <see cref="FashionMnistOptions.ImageSize"/>
/// (32: 2 px of background padding, i.e. −1; other sizes: bilinear) and optionally flips each image horizontally.
/// </summary>
public sealed class FashionMnistDataset : ILabeledDataset, IContentHashedDataset
{
    public const string DebianPackage = "dataset-fashion-mnist";
    public const string InstallCommand = "sudo apt-get update && sudo apt-get install -y " + DebianPackage;

    /// <summary>Class names by label.</summary>
    public static readonly IReadOnlyList<string> Classes =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private readonly InMemoryImages _images;
    private readonly int _rows;
    private readonly int _columns;
    private readonly string _imagesPath;
    private string? _contentHash;

    public FashionMnistDataset(FashionMnistOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new ArgumentException("invalid [data] options for fashion-mnist: " + string.Join(" ", errors), nameof(options));
        Options = options;

        var (imagesPath, labelsPath) = LocateFiles(options.Path, options.Split);
        _imagesPath = imagesPath;
        var images = IdxFile.ReadImages(imagesPath);
        var labels = IdxFile.ReadLabels(labelsPath);
        long n = images.Dimensions[0];
        if (labels.Dimensions[0] != n)
            throw new IdxFormatException(labelsPath,
                $"holds {labels.Dimensions[0]} labels but {System.IO.Path.GetFileName(imagesPath)} holds {n} images; the two files of a split must match");
        _rows = images.Dimensions[1];
        _columns = images.Dimensions[2];
        Count = options.Limit > 0 ? Math.Min(options.Limit, n) : n;
        int imageBytes = _rows * _columns;
        _images = new InMemoryImages(
            Count == n ? images.Data : images.Data.AsSpan(0, checked((int)(Count * imageBytes))).ToArray(),
            Count == n ? labels.Data : labels.Data.AsSpan(0, (int)Count).ToArray(),
            imageBytes, $"fashion-mnist ({options.Split})");
        Shape = new SampleShape(1, options.ImageSize, options.ImageSize);
    }

    public FashionMnistOptions Options { get; }
    public string Name => "fashion-mnist";
    public long Count { get; }
    public SampleShape Shape { get; }

    /// <summary>Size of the stored images (28×28 for Fashion-MNIST).</summary>
    public (int Height, int Width) NativeSize => (_rows, _columns);

    /// <summary>The class labels 0..9 of the <see cref="Count"/> samples.</summary>
    public ReadOnlyMemory<byte> Labels => _images.Labels;

    IReadOnlyList<string> ILabeledDataset.ClassNames => Classes;

    /// <summary>SHA-256 of the images file with the image size and limit (computed once, on first use).</summary>
    public string ContentHash => _contentHash ??= ContentHashing.Of(ContentHashing.File(_imagesPath), $"image_size={Options.ImageSize}", $"count={Count}");

    /// <summary>True when both splits' image and label files are in <paramref name="path"/> (gzip or raw).</summary>
    public static bool IsInstalled(string path) =>
        new[] { "train", "test" }.All(split => FileNames(split).All(name => Find(path, name) is not null));

    /// <summary>The images file of a split (gzip or raw) in <paramref name="folder"/>; a clear error when it is missing.</summary>
    public static string ImagesFile(string folder, string split) => LocateFiles(folder, split).Images;

    /// <summary>The labels at <paramref name="indices"/> as an int64 tensor of shape (B).</summary>
    public Tensor GetLabels(ReadOnlySpan<long> indices) => _images.GetLabels(indices);

    public Tensor GetBatch(ReadOnlySpan<long> indices, Generator? augmentation = null)
    {
        var gathered = _images.Gather(indices);
        using var scope = NewDisposeScope();
        long b = indices.Length;
        var x = tensor(gathered, [b, 1, _rows, _columns]).to(ScalarType.Float32) / 127.5 - 1.0;
        int size = Options.ImageSize;
        if (size == _rows + 4 && size == _columns + 4)
            x = nn.functional.pad(x, [2, 2, 2, 2], value: -1.0);
        else if (size != _rows || size != _columns)
            x = nn.functional.interpolate(x, [size, size], mode: InterpolationMode.Bilinear, align_corners: false,
                                          antialias: size < _rows || size < _columns);
        if (Options.RandomFlip) x = HorizontalFlip.Random(x, augmentation);
        return x.contiguous().MoveToOuterDisposeScope();
    }

    public void Dispose() { }

    private static string[] FileNames(string split)
    {
        string prefix = split == "test" ? "t10k" : "train";
        return [$"{prefix}-images-idx3-ubyte", $"{prefix}-labels-idx1-ubyte"];
    }

    private static string? Find(string folder, string name)
    {
        foreach (var candidate in new[] { name + ".gz", name })
        {
            string path = System.IO.Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    private static (string Images, string Labels) LocateFiles(string folder, string split)
    {
        var names = FileNames(split);
        var found = new string[2];
        for (int i = 0; i < 2; i++)
        {
            found[i] = Find(folder, names[i]) ?? throw new DatasetNotFoundException(
                $"Fashion-MNIST ({split} split) not found: looked for {System.IO.Path.Combine(folder, names[i] + ".gz")} " +
                $"(or without .gz){(Directory.Exists(folder) ? "" : $", and the folder {folder} does not exist")}. " +
                $"Install it with: {InstallCommand} — or set path under [data] in the recipe to the folder that holds the IDX files.",
                System.IO.Path.Combine(folder, names[i] + ".gz"));
        }
        return (found[0], found[1]);
    }
}
