using LddGan.Engine.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using LddGan.Engine.Imaging;
using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>
/// Real-data features and their statistics; <see cref="FromCache"/> says whether they were read from disk, and
/// <see cref="Path"/> is the cache file (null when they are not cached).
/// </summary>
public sealed class ReferenceFeatures(ReferenceKey key, Tensor features, FeatureStatistics statistics, bool fromCache, string? path) : IDisposable
{
    public ReferenceKey Key => key;
    /// <summary>(N, D) float32: the features themselves (precision/recall needs them).</summary>
    public Tensor Features => features;
    public FeatureStatistics Statistics => statistics;
    public bool FromCache => fromCache;
    /// <summary>The cache file; null when the features are not cached.</summary>
    public string? Path => path;

    public void Dispose()
    {
        features.Dispose();
        statistics.Dispose();
    }
}

/// <summary>
/// Caches real-data features on disk, one file per <see cref="ReferenceKey"/> (its hash is in the file name; the file
/// also stores the full key and is ignored when it does not match). A file holds the N × D float32 features and their
/// float64 mean and covariance; a readable <c>.json</c> beside it lists the key. The folder is
/// <c>$LDDGAN_CACHE/eval</c> when that variable is set, else <c>runs/.cache/eval</c> under the working directory.
/// Files are written atomically (temporary file, then rename); a damaged file is recomputed.
/// </summary>
public sealed class ReferenceStatisticsCache(string folder)
{
    public const string EnvironmentVariable = CacheFolders.EnvironmentVariable;
    private const string Magic = "LDDGAN-REFERENCE-FEATURES";
    private const int Version = 1;

    public string Folder { get; } = System.IO.Path.GetFullPath(folder);

    public static string DefaultFolder() => CacheFolders.For("eval");

    public string PathFor(ReferenceKey key) => System.IO.Path.Combine(Folder, key.FileName);

    /// <summary>The cached features for <paramref name="key"/>, or <paramref name="computeFeatures"/>'s (N, D), then cached.</summary>
    public ReferenceFeatures GetOrCompute(ReferenceKey key, Func<Tensor> computeFeatures)
    {
        string path = PathFor(key);
        if (TryRead(path, key) is { } cached) return cached;
        var (stored, statistics) = Computed(key, computeFeatures);
        Write(path, key, stored, statistics);
        return new ReferenceFeatures(key, stored, statistics, fromCache: false, path);
    }

    /// <summary>
    /// <paramref name="computeFeatures"/>'s (N, D) and their statistics, not cached: for a dataset without a content
    /// hash, whose cache file could not tell when its images changed.
    /// </summary>
    public static ReferenceFeatures Uncached(ReferenceKey key, Func<Tensor> computeFeatures)
    {
        var (stored, statistics) = Computed(key, computeFeatures);
        return new ReferenceFeatures(key, stored, statistics, fromCache: false, path: null);
    }

    private static (Tensor Features, FeatureStatistics Statistics) Computed(ReferenceKey key, Func<Tensor> computeFeatures)
    {
        var features = computeFeatures();
        if (features.dim() != 2 || features.shape[0] != key.Count)
            throw new InvalidOperationException($"reference features must be ({key.Count}, D), got ({string.Join(", ", features.shape)})");
        var stored = features.to(ScalarType.Float32).cpu().contiguous();
        if (!ReferenceEquals(stored, features)) features.Dispose();
        return (stored, FeatureStatistics.FromFeatures(stored));
    }

    private static void Write(string path, ReferenceKey key, Tensor features, FeatureStatistics statistics)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write(key.Canonical);
            writer.Write(statistics.Count);
            writer.Write(statistics.Dim);
            // Raw little-endian values (the platforms TorchSharp runs on are all little-endian).
            writer.Write(MemoryMarshal.AsBytes(statistics.Mean.data<double>().ToArray().AsSpan()));
            using (var covariance = statistics.Covariance.contiguous()) writer.Write(MemoryMarshal.AsBytes(covariance.data<double>().ToArray().AsSpan()));
            writer.Write(MemoryMarshal.AsBytes(features.data<float>().ToArray().AsSpan()));
        }
        AtomicFile.WriteAllBytes(path, buffer.ToArray());
        var fields = key.Canonical.TrimEnd('\n').Split('\n').Select(line => line.Split('=', 2))
            .Select(kv => $"  \"{kv[0]}\": {System.Text.Json.JsonSerializer.Serialize(kv[1])}");
        AtomicFile.WriteAllBytes(path + ".json", Encoding.UTF8.GetBytes("{\n" + string.Join(",\n", fields) + "\n}\n"));
    }

    private static ReferenceFeatures? TryRead(string path, ReferenceKey key)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (reader.ReadString() != Magic || reader.ReadInt32() != Version || reader.ReadString() != key.Canonical) return null;
            long count = reader.ReadInt64();
            int dim = reader.ReadInt32();
            if (count != key.Count || dim <= 0) return null;
            var mean = Read<double>(reader, dim);
            var covariance = Read<double>(reader, checked(dim * dim));
            var features = Read<float>(reader, checked((int)(count * dim)));
            var statistics = new FeatureStatistics(tensor(mean, ScalarType.Float64), tensor(covariance, [dim, dim], ScalarType.Float64), count);
            return new ReferenceFeatures(key, tensor(features, [count, dim]), statistics, fromCache: true, path);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or InvalidDataException or OverflowException)
        {
            return null;   // damaged or truncated: recompute and overwrite
        }
    }

    private static T[] Read<T>(BinaryReader reader, int count) where T : unmanaged
    {
        int length = checked(count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        var raw = reader.ReadBytes(length);   // loops until length bytes or the end of the file
        if (raw.Length != length) throw new EndOfStreamException();
        return MemoryMarshal.Cast<byte, T>(raw).ToArray();
    }
}
