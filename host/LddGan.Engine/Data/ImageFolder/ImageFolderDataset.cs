using LddGan.Abstractions;
using static TorchSharp.torch;

namespace LddGan.Engine.Data.ImageFolder;

/// <summary>
/// Images from a folder as training data (C × resolution × resolution, scaled to [−1, 1] as x/127.5 − 1, optionally
/// flipped). With <see cref="ImageFolderOptions.Cache"/> (the default) the folder is prepared once into an image pack
/// that every later run memory-maps; a folder whose files changed (names, sizes or times) is prepared again, and a
/// damaged pack is replaced. Without the cache, each batch is decoded from the files.
/// </summary>
public class ImageFolderDataset : IContentHashedDataset, IDatasetNotes
{
    private readonly ImagePackFile? _pack;
    private readonly ImageFolderScan? _scan;
    private readonly int[] _sourceIndex;

    private protected ImageFolderDataset(ImageFolderOptions options, ImagePackFile? pack, ImageFolderScan? scan, int channels,
                                         int[] sourceIndex, string contentHash, IReadOnlyList<string> notes)
    {
        Options = options;
        _pack = pack;
        _scan = scan;
        _sourceIndex = sourceIndex;
        Count = options.Limit > 0 ? Math.Min(options.Limit, sourceIndex.Length) : sourceIndex.Length;
        Shape = new SampleShape(channels, options.Resolution, options.Resolution);
        ContentHash = ContentHashing.Of(contentHash, $"count={Count}");
        Notes = notes;
    }

    public ImageFolderOptions Options { get; }
    public string Name => "image-folder";
    public long Count { get; }
    public SampleShape Shape { get; }
    public string ContentHash { get; }
    /// <summary>What opening the folder did (prepared or reused the pack, skipped images), for the user to see.</summary>
    public IReadOnlyList<string> Notes { get; }
    /// <summary>The memory-mapped pack, when cached.</summary>
    public string? PackPath => _pack?.Path;

    /// <summary>Opens the folder: reuses its pack when it is current, else prepares it (or, without the cache, reads the headers).</summary>
    public static ImageFolderDataset Open(ImageFolderOptions options, IProgress<PrepareProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new ArgumentException("invalid [data] options for image-folder: " + string.Join(" ", errors), nameof(options));
        bool labeled = options.Labels == ImageFolderOptions.SubfolderLabels;
        var scan = ImageFolderScan.Run(options.Path, labeled);
        var notes = new List<string>();

        if (!options.Cache)
        {
            var skipped = new System.Collections.Concurrent.ConcurrentBag<(int Index, string Reason)>();
            var headers = ImageFolderPreparer.ReadHeaders(scan, options, skipped, progress);
            int channels = ImageFolderPreparer.ResolveChannels(options, scan, headers);
            var readable = headers.Keys.Order().ToArray();
            AddSkipped(notes, scan.Folder, skipped.OrderBy(s => s.Index).Select(s => new SkippedImage(scan.Sources[s.Index].RelativePath, s.Reason)).ToList());
            notes.Add($"image-folder: {readable.Length:N0} images in {scan.Folder}, decoded batch by batch (cache = false).");
            string hash = ContentHashing.Of(scan.Fingerprint, $"resolution={options.Resolution}", $"channels={channels}");
            return Create(options, null, scan, channels, readable, hash, notes, scan.ClassNames, labeled);
        }

        string packPath = ImageFolderPreparer.PackPathFor(options, scan.Folder);
        var pack = OpenCurrent(packPath, scan, notes);
        if (pack is null)
        {
            var manifest = ImageFolderPreparer.Prepare(options, scan, packPath, progress);
            notes.Add($"image-folder: prepared {manifest.Count:N0} images from {scan.Folder} in {manifest.PrepareSeconds:F1} s → {packPath} " +
                      $"({new FileInfo(packPath).Length / 1048576.0:F1} MiB); later runs memory-map it.");
            pack = ImagePackFile.Open(packPath);
        }
        else if (options.Strict && pack.Manifest.Skipped.Count > 0)
        {
            var first = pack.Manifest.Skipped[0];
            pack.Dispose();
            throw new DatasetException($"image-folder: {Path.Combine(scan.Folder, first.Path)} {first.Reason} ({pack.Manifest.Skipped.Count:N0} unreadable " +
                                       "in all, skipped when the folder was prepared). Remove or replace them, or set strict = false to skip them.");
        }
        else notes.Add($"image-folder: {pack.Count:N0} images from {pack.Path} (prepared {pack.Manifest.Created:yyyy-MM-dd HH:mm}; the folder is unchanged).");
        AddSkipped(notes, scan.Folder, pack.Manifest.Skipped);
        var identity = Enumerable.Range(0, (int)pack.Count).ToArray();
        return Create(options, pack, null, pack.Manifest.Channels, identity, pack.Manifest.ContentHash, notes, pack.Manifest.ClassNames, labeled);
    }

    private static ImageFolderDataset Create(ImageFolderOptions options, ImagePackFile? pack, ImageFolderScan? scan, int channels,
                                             int[] sourceIndex, string hash, IReadOnlyList<string> notes, IReadOnlyList<string> classNames, bool labeled) =>
        labeled ? new LabeledImageFolderDataset(options, pack, scan, channels, sourceIndex, hash, notes, classNames)
                : new ImageFolderDataset(options, pack, scan, channels, sourceIndex, hash, notes);

    /// <summary>The pack at <paramref name="path"/> when it was prepared from the folder as it is now; null when it must be (re)prepared.</summary>
    private static ImagePackFile? OpenCurrent(string path, ImageFolderScan scan, List<string> notes)
    {
        if (!File.Exists(path)) return null;
        ImagePackFile pack;
        try { pack = ImagePackFile.Open(path); }
        catch (ImagePackDamagedException e)
        {
            notes.Add($"image-folder: the prepared file {path} is damaged ({e.Reason}); preparing it again.");
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            notes.Add($"image-folder: the prepared file {path} cannot be read ({e.Message}); preparing it again.");
            return null;
        }
        if (pack.Manifest.SourceFingerprint == scan.Fingerprint) return pack;
        var before = pack.Manifest.Files.Select(f => f.RelativePath).Concat(pack.Manifest.Skipped.Select(s => s.Path)).ToHashSet();
        var now = scan.Sources.Select(s => s.RelativePath).ToHashSet();
        notes.Add($"image-folder: {scan.Folder} changed since it was prepared ({now.Except(before).Count():N0} files added, " +
                  $"{before.Except(now).Count():N0} removed, others may have changed); preparing it again.");
        pack.Dispose();
        return null;
    }

    private static void AddSkipped(List<string> notes, string folder, IReadOnlyList<SkippedImage> skipped)
    {
        if (skipped.Count == 0) return;
        notes.Add($"image-folder: skipped {skipped.Count:N0} unreadable image{(skipped.Count == 1 ? "" : "s")} (strict = true makes this an error):");
        foreach (var s in skipped.Take(20)) notes.Add($"  {Path.Combine(folder, s.Path)}: {s.Reason}");
        if (skipped.Count > 20) notes.Add($"  … and {skipped.Count - 20:N0} more (all listed in the prepared file's manifest).");
    }

    public Tensor GetBatch(ReadOnlySpan<long> indices, Generator? augmentation = null)
    {
        if (indices.Length == 0) throw new ArgumentException("at least one index is needed.", nameof(indices));
        int imageBytes = Shape.Channels * Shape.Height * Shape.Width;
        var gathered = new byte[indices.Length * imageBytes];
        if (_pack is not null)
            for (int i = 0; i < indices.Length; i++) _pack.ReadImage(CheckIndex(indices[i]), gathered, i * imageBytes);
        else
        {
            var sources = indices.ToArray().Select(i => _scan!.Sources[_sourceIndex[CheckIndex(i)]]).ToArray();
            ImageFolderPreparer.ForEach(sources.Length, i =>
            {
                string path = _scan!.FullPath(sources[i]);
                try { ImageDecoding.Decode(path, Shape.Channels, Shape.Height).CopyTo(gathered, i * imageBytes); }
                catch (ImageDecodeException e)
                {
                    throw new DatasetException($"image-folder: {path} {e.Message} (found while training with cache = false; " +
                                               "prepare the folder with cache = true to skip such images up front).");
                }
            });
        }
        using var scope = NewDisposeScope();
        var x = tensor(gathered, [indices.Length, Shape.Channels, Shape.Height, Shape.Width]).to(ScalarType.Float32) / 127.5 - 1.0;
        if (Options.RandomFlip) x = HorizontalFlip.Random(x, augmentation);
        return x.contiguous().MoveToOuterDisposeScope();
    }

    private protected int LabelOf(long index) =>
        _pack is not null ? _pack.Label(CheckIndex(index)) : _scan!.Sources[_sourceIndex[CheckIndex(index)]].Label;

    private protected long CheckIndex(long index) =>
        index >= 0 && index < Count ? index
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"image-folder ({Options.Path}) has {Count} images.");

    public void Dispose()
    {
        _pack?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>An image folder with <c>labels = "subfolders"</c>: class i is the i-th first-level subfolder in sorted order.</summary>
public sealed class LabeledImageFolderDataset : ImageFolderDataset, ILabeledDataset
{
    internal LabeledImageFolderDataset(ImageFolderOptions options, ImagePackFile? pack, ImageFolderScan? scan, int channels,
                                       int[] sourceIndex, string hash, IReadOnlyList<string> notes, IReadOnlyList<string> classNames)
        : base(options, pack, scan, channels, sourceIndex, hash, notes) => ClassNames = classNames;

    public IReadOnlyList<string> ClassNames { get; }

    public Tensor GetLabels(ReadOnlySpan<long> indices)
    {
        var values = new long[indices.Length];
        for (int i = 0; i < indices.Length; i++) values[i] = LabelOf(indices[i]);
        return tensor(values, ScalarType.Int64);
    }
}
