using LddGan.Abstractions;
using SkiaSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Data.ImageFolder;

/// <summary>
/// Writes a dataset's images as PNG files (grayscale or RGB, 8 bits), the form <c>image-folder</c> reads: without
/// labels as <c>00000.png</c>, <c>00001.png</c> … (sorted names keep the dataset's order); with labels in one subfolder
/// per class named <c>&lt;label&gt;-&lt;class name&gt;</c> (zero-padded, so sorted names keep the label numbers).
/// Pixels go back from [−1, 1] to bytes by (x + 1)·127.5, rounded: an 8-bit dataset round-trips exactly.
/// </summary>
public static class ImageFolderExport
{
    public static long Write(IDataset dataset, string folder, long count, bool byClass, IProgress<PrepareProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (dataset.Shape.IsVector || dataset.Shape.Channels is not (1 or 3))
            throw new DatasetException($"{dataset.Name}: only images with 1 or 3 channels can be written as PNG files (its samples are {dataset.Shape}).");
        var labeled = byClass ? dataset as ILabeledDataset ?? throw new DatasetException(
            $"{dataset.Name} has no class labels; export it without --by-class.") : null;
        count = Math.Min(count, dataset.Count);
        int digits = Math.Max(5, count.ToString().Length);
        var classFolders = labeled?.ClassNames.Select((name, i) => $"{i.ToString().PadLeft(labeled.ClassNames.Count.ToString().Length, '0')}-{Runtime.CacheFolders.SafeName(name)}").ToList();
        Directory.CreateDirectory(folder);
        foreach (var sub in classFolders ?? []) Directory.CreateDirectory(Path.Combine(folder, sub));

        const int batch = 500;
        progress?.Report(new("writing PNG files", 0, count));
        for (long start = 0; start < count; start += batch)
        {
            int n = (int)Math.Min(batch, count - start);
            var indices = Enumerable.Range(0, n).Select(i => start + i).ToArray();
            byte[] pixels;
            long[]? labels = null;
            using (var scope = NewDisposeScope())
            {
                var x = dataset.GetBatch(indices);
                pixels = x.add(1).mul(127.5).round().clamp(0, 255).to(ScalarType.Byte).contiguous().data<byte>().ToArray();
                if (labeled is not null) labels = labeled.GetLabels(indices).data<long>().ToArray();
            }
            int c = dataset.Shape.Channels, h = dataset.Shape.Height, w = dataset.Shape.Width;
            Parallel.For(0, n, i =>
            {
                string name = (start + i).ToString().PadLeft(digits, '0') + ".png";
                string path = labels is null ? Path.Combine(folder, name) : Path.Combine(folder, classFolders![(int)labels[i]], name);
                WritePng(path, pixels.AsSpan(i * c * h * w, c * h * w), c, h, w);
            });
            progress?.Report(new("writing PNG files", start + n, count));
        }
        return count;
    }

    /// <summary>One image from C planes of bytes: Gray8 for one channel, opaque RGBA for three.</summary>
    public static void WritePng(string path, ReadOnlySpan<byte> planes, int channels, int height, int width)
    {
        var info = channels == 1 ? new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque)
                                 : new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        int plane = width * height, rowBytes = bitmap.RowBytes;
        var target = new byte[rowBytes * height];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int at = y * width + x;
            if (channels == 1) target[y * rowBytes + x] = planes[at];
            else
            {
                int p = y * rowBytes + 4 * x;
                target[p] = planes[at];
                target[p + 1] = planes[plane + at];
                target[p + 2] = planes[2 * plane + at];
                target[p + 3] = 255;
            }
        }
        System.Runtime.InteropServices.Marshal.Copy(target, 0, bitmap.GetPixels(), target.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
                         ?? throw new IOException($"{path}: SkiaSharp could not encode the image as PNG.");
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
