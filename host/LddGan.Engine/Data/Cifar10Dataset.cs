using LddGan.Abstractions;
using static TorchSharp.torch;

namespace LddGan.Engine.Data;

/// <summary>
/// CIFAR-10 (Krizhevsky 2009) from its binary distribution: each record is one label byte then 3,072 pixel bytes
/// (the red, green and blue 32×32 planes, row-major). The bytes stay in memory; <see cref="GetBatch"/> gathers them,
/// scales to [−1, 1] (x/127.5 − 1, as the official DDGAN transform) and optionally flips each image horizontally.
/// </summary>
public sealed class Cifar10Dataset : ILabeledDataset, IContentHashedDataset
{
    public const int Side = 32;
    private const int ImageBytes = 3 * Side * Side;
    private const int RecordBytes = 1 + ImageBytes;

    /// <summary>Class names by label.</summary>
    public static readonly IReadOnlyList<string> Classes =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    private readonly InMemoryImages _images;
    private readonly IReadOnlyList<string> _files;
    private string? _contentHash;

    public Cifar10Dataset(Cifar10Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new ArgumentException("invalid [data] options for cifar10: " + string.Join(" ", errors), nameof(options));
        Options = options;
        var files = BatchFiles(options.Path, options.Split);
        _files = files;
        var records = new List<byte[]>();
        foreach (var file in files)
        {
            byte[] bytes = File.ReadAllBytes(file);
            if (bytes.Length == 0 || bytes.Length % RecordBytes != 0)
                throw new DatasetException($"{file}: {bytes.Length:N0} bytes is not a whole number of CIFAR-10 records ({RecordBytes:N0} bytes each: " +
                                           "a label byte and 3,072 pixel bytes); the file is damaged or not from the binary distribution (cifar-10-binary.tar.gz).");
            records.Add(bytes);
        }
        long total = records.Sum(r => (long)(r.Length / RecordBytes));
        Count = options.Limit > 0 ? Math.Min(options.Limit, total) : total;
        var pixels = new byte[checked(Count * ImageBytes)];
        var labels = new byte[Count];
        long index = 0;
        foreach (var bytes in records)
            for (int at = 0; at < bytes.Length && index < Count; at += RecordBytes, index++)
            {
                byte label = bytes[at];
                if (label > 9) throw new DatasetException($"{files[records.IndexOf(bytes)]}: record {at / RecordBytes} has label {label}; CIFAR-10 labels are 0 to 9.");
                labels[index] = label;
                bytes.AsSpan(at + 1, ImageBytes).CopyTo(pixels.AsSpan(checked((int)(index * ImageBytes))));
            }
        _images = new InMemoryImages(pixels, labels, ImageBytes, $"cifar10 ({options.Split})");
        Shape = new SampleShape(3, Side, Side);
    }

    public Cifar10Options Options { get; }
    public string Name => "cifar10";
    public long Count { get; }
    public SampleShape Shape { get; }

    /// <summary>The class labels 0..9 of the <see cref="Count"/> samples.</summary>
    public ReadOnlyMemory<byte> Labels => _images.Labels;

    IReadOnlyList<string> ILabeledDataset.ClassNames => Classes;

    /// <summary>SHA-256 of the split's batch files with the sample count (computed once, on first use).</summary>
    public string ContentHash => _contentHash ??= ContentHashing.Of([.. _files.Select(ContentHashing.File), $"count={Count}"]);

    /// <summary>The labels at <paramref name="indices"/> as an int64 tensor of shape (B).</summary>
    public Tensor GetLabels(ReadOnlySpan<long> indices) => _images.GetLabels(indices);

    public Tensor GetBatch(ReadOnlySpan<long> indices, Generator? augmentation = null)
    {
        var gathered = _images.Gather(indices);
        using var scope = NewDisposeScope();
        long b = indices.Length;
        var x = tensor(gathered, [b, 3, Side, Side]).to(ScalarType.Float32) / 127.5 - 1.0;
        if (Options.RandomFlip) x = HorizontalFlip.Random(x, augmentation);
        return x.contiguous().MoveToOuterDisposeScope();
    }

    public void Dispose() { }

    /// <summary>The split's batch files, in the official order; a clear error naming the first one missing.</summary>
    public static IReadOnlyList<string> BatchFiles(string folder, string split)
    {
        string[] names = split == "test" ? ["test_batch.bin"] : Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray();
        string[] folders = [folder, System.IO.Path.Combine(folder, "cifar-10-batches-bin")];
        var root = folders.FirstOrDefault(f => File.Exists(System.IO.Path.Combine(f, names[0]))) ?? folder;
        var files = names.Select(n => System.IO.Path.Combine(root, n)).ToList();
        if (files.FirstOrDefault(f => !File.Exists(f)) is { } missing)
            throw new DatasetNotFoundException(
                $"CIFAR-10 ({split} split) not found: no {missing}{(Directory.Exists(folder) ? "" : $" (the folder {folder} does not exist)")}. " +
                "Download the binary version (cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html), unpack it, " +
                "and set path under [data] to the folder that holds data_batch_1.bin … test_batch.bin.", missing);
        return files;
    }
}
