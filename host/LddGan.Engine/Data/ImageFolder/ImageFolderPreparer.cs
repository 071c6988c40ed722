using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace LddGan.Engine.Data.ImageFolder;

/// <summary>How far a preparation is: <see cref="Stage"/> ("reading headers", "decoding") and images done of total.</summary>
public readonly record struct PrepareProgress(string Stage, long Done, long Total);

/// <summary>
/// Turns a folder into what training reads: the headers are checked first (in parallel, before any pixel is decoded,
/// so a wrong resolution or mixed channel counts fail in seconds), then every image is decoded, resized and cropped in
/// parallel into an <see cref="ImagePackWriter"/>. Unreadable images are skipped and listed, or stop the preparation
/// when <see cref="ImageFolderOptions.Strict"/>.
/// </summary>
public static class ImageFolderPreparer
{
    /// <summary>
    /// The pack file for these options and folder in the cache folder: the folder's name and a hash of its full path and
    /// of every option that changes the pixels, so different preparations of one folder live side by side.
    /// </summary>
    public static string PackPathFor(ImageFolderOptions options, string folder)
    {
        string key = $"{folder}\nresolution={options.Resolution}\nchannels={options.Channels}\nlabels={options.Labels}\nupscale={options.AllowUpscale}";
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16].ToLowerInvariant();
        string name = Runtime.CacheFolders.SafeName(Path.GetFileName(folder.TrimEnd('/', '\\')));
        return Path.Combine(options.ResolvedCacheDir, $"{name}-r{options.Resolution}-{hash}{ImagePackFile.Extension}");
    }

    /// <summary>The channel count the images will have: the option, or what every header agrees on.</summary>
    public static int ResolveChannels(ImageFolderOptions options, ImageFolderScan scan, IReadOnlyDictionary<int, ImageHeader> headers)
    {
        if (options.Channels != 0) return options.Channels;
        var byChannels = headers.GroupBy(h => h.Value.Channels).ToDictionary(g => g.Key, g => g.Select(p => p.Key).Min());
        if (byChannels.Count > 1)
        {
            int grays = headers.Count(h => h.Value.Channels == 1);
            throw new DatasetException(
                $"image-folder: {scan.Folder} mixes grayscale and colour images ({grays:N0} grayscale, e.g. {scan.FullPath(scan.Sources[byChannels[1]])}; " +
                $"{headers.Count - grays:N0} colour, e.g. {scan.FullPath(scan.Sources[byChannels[3]])}). Set channels = 1 or channels = 3 under [data] " +
                "to convert every image to one of them.");
        }
        return byChannels.Keys.Single();
    }

    /// <summary>Reads every header in parallel; unreadable files go to <paramref name="skipped"/> (or throw when strict).</summary>
    public static IReadOnlyDictionary<int, ImageHeader> ReadHeaders(ImageFolderScan scan, ImageFolderOptions options,
                                                                    ConcurrentBag<(int Index, string Reason)> skipped,
                                                                    IProgress<PrepareProgress>? progress = null)
    {
        var headers = new ConcurrentDictionary<int, ImageHeader>();
        int done = 0, total = scan.Sources.Count;
        progress?.Report(new("reading headers", 0, total));
        ForEach(total, i =>
        {
            try { headers[i] = ImageDecoding.Probe(scan.FullPath(scan.Sources[i])); }
            catch (ImageDecodeException e) { Skip(scan, options, skipped, i, e.Message); }
            int now = Interlocked.Increment(ref done);
            if (now % 1000 == 0) progress?.Report(new("reading headers", now, total));
        });
        progress?.Report(new("reading headers", total, total));
        if (headers.IsEmpty)
            throw new DatasetException($"image-folder: none of the {total:N0} image files in {scan.Folder} could be read " +
                                       $"(first: {scan.FullPath(scan.Sources[0])}: {skipped.OrderBy(s => s.Index).First().Reason}).");
        if (!options.AllowUpscale)
        {
            var small = headers.Where(h => h.Value.ShortSide < options.Resolution).ToList();
            if (small.Count > 0)
            {
                var smallest = small.MinBy(h => h.Value.ShortSide);
                throw new DatasetException(
                    $"image-folder: resolution = {options.Resolution} is larger than {small.Count:N0} of the {headers.Count:N0} images " +
                    $"(the smallest, {scan.FullPath(scan.Sources[smallest.Key])}, is {smallest.Value.Width}×{smallest.Value.Height}). " +
                    $"Lower resolution to at most {smallest.Value.ShortSide}, or set allow_upscale = true to enlarge them.");
            }
        }
        return headers;
    }

    /// <summary>Prepares the pack at <paramref name="packPath"/> (atomically: an existing pack stays until the new one is complete).</summary>
    public static ImagePackManifest Prepare(ImageFolderOptions options, ImageFolderScan scan, string packPath,
                                            IProgress<PrepareProgress>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var skipped = new ConcurrentBag<(int Index, string Reason)>();
        var headers = ReadHeaders(scan, options, skipped, progress);
        int channels = ResolveChannels(options, scan, headers);

        var slots = headers.Keys.Order().ToArray();
        var kept = new bool[slots.Length];
        using var writer = new ImagePackWriter(packPath, channels, options.Resolution, slots.Length);
        int done = 0;
        progress?.Report(new("decoding", 0, slots.Length));
        ForEach(slots.Length, slot =>
        {
            int i = slots[slot];
            try
            {
                writer.WriteImage(slot, ImageDecoding.Decode(scan.FullPath(scan.Sources[i]), channels, options.Resolution));
                kept[slot] = true;
            }
            catch (ImageDecodeException e) { Skip(scan, options, skipped, i, e.Message); }
            int now = Interlocked.Increment(ref done);
            if (now % 500 == 0) progress?.Report(new("decoding", now, slots.Length));
        });
        progress?.Report(new("decoding", slots.Length, slots.Length));

        var keptSlots = Enumerable.Range(0, slots.Length).Where(s => kept[s]).Select(s => (long)s).ToList();
        if (keptSlots.Count == 0)
            throw new DatasetException($"image-folder: none of the {scan.Sources.Count:N0} images in {scan.Folder} could be decoded.");
        var files = keptSlots.Select(s => scan.Sources[slots[s]]).ToList();
        return writer.Complete(keptSlots, files.Select(f => f.Label).ToList(), new ImagePackManifest
        {
            Source = scan.Folder,
            SourceFingerprint = scan.Fingerprint,
            Resolution = options.Resolution,
            Channels = channels,
            AllowUpscale = options.AllowUpscale,
            Labels = options.Labels,
            ClassNames = scan.ClassNames,
            Files = files,
            Skipped = skipped.OrderBy(s => s.Index).Select(s => new SkippedImage(scan.Sources[s.Index].RelativePath, s.Reason)).ToList(),
            Created = DateTimeOffset.Now,
            PrepareSeconds = clock.Elapsed.TotalSeconds,
        });
    }

    /// <summary>Parallel.For that rethrows a dataset error itself (strict mode), not wrapped in an AggregateException.</summary>
    internal static void ForEach(int count, Action<int> body)
    {
        try { Parallel.For(0, count, body); }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.FirstOrDefault(x => x is DatasetException) is { } first)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
    }

    private static void Skip(ImageFolderScan scan, ImageFolderOptions options, ConcurrentBag<(int, string)> skipped, int index, string reason)
    {
        if (options.Strict)
            throw new DatasetException($"image-folder: {scan.FullPath(scan.Sources[index])} {reason}. " +
                                       "Remove or replace it, or set strict = false to skip unreadable images (they are listed).");
        skipped.Add((index, reason));
    }
}
