using System.Security.Cryptography;
using System.Text.Json;
using LddGan.Engine.Models;
using LddGan.Engine.Runtime;
using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>
/// The sample features an evaluation has made so far, kept in a file after every batch so that an interrupted evaluation
/// (Ctrl+C, a stopped machine) resumes where it stopped with the same samples. A file made for another checkpoint,
/// seed, count, batch size, sampler or feature network is not used: the evaluation starts over and says why.
/// </summary>
public sealed class SampleFeatureProgress
{
    /// <summary>What the features were made from: all of it must match for a file to be resumed.</summary>
    public sealed record Key(string CheckpointSha256, long Seed, int Count, int BatchSize, string Sampling, string Features);

    private sealed record Stored(Key Key, int Done, string? RngState, int FeatureDim, string Features);

    private readonly string _path;
    private readonly Key _key;

    private SampleFeatureProgress(string path, Key key, SamplingCursor cursor, float[] features, int featureDim)
    {
        _path = path;
        _key = key;
        Cursor = cursor;
        ResumedFrom = cursor.Done;
        _features = [.. features];
        FeatureDim = featureDim;
    }

    private readonly List<float> _features;

    /// <summary>Where the sample stream resumes.</summary>
    public SamplingCursor Cursor { get; }
    public int FeatureDim { get; private set; }
    /// <summary>Samples taken from the file instead of being made again.</summary>
    public int ResumedFrom { get; }
    /// <summary>Why an existing file was not resumed (null when there was none, or it was).</summary>
    public string? Discarded { get; private init; }

    /// <summary>The progress in <paramref name="path"/> when it was made for <paramref name="key"/>, else a fresh start.</summary>
    public static SampleFeatureProgress Open(string path, Key key)
    {
        if (!File.Exists(path)) return new(path, key, new SamplingCursor(), [], 0);
        Stored? stored;
        try { stored = JsonSerializer.Deserialize<Stored>(File.ReadAllText(path)); }
        catch (JsonException e)
        {
            return new(path, key, new SamplingCursor(), [], 0) { Discarded = $"{path} is not a progress file ({e.Message}); starting over" };
        }
        if (stored is null || stored.Key != key)
            return new(path, key, new SamplingCursor(), [], 0) { Discarded = $"{path} was made for {stored?.Key}; this evaluation is {key}: starting over" };
        var bytes = Convert.FromBase64String(stored.Features);
        var features = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, features, 0, bytes.Length);
        if (stored.FeatureDim <= 0 ? features.Length != 0 : features.Length != stored.Done * stored.FeatureDim)
            return new(path, key, new SamplingCursor(), [], 0) { Discarded = $"{path} holds {features.Length} feature values for {stored.Done} samples: damaged, starting over" };
        var cursor = new SamplingCursor(stored.Done, stored.RngState is { } s ? Convert.FromBase64String(s) : null);
        return new(path, key, cursor, features, stored.FeatureDim);
    }

    /// <summary>The SHA-256 of a checkpoint file (hex, first 16 characters): a retrained checkpoint is another key.</summary>
    public static string Fingerprint(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant()[..16];
    }

    /// <summary>Features of the samples made before this run (N, D), or null when there are none.</summary>
    public Tensor? Resumed() =>
        _features.Count == 0 ? null : tensor(_features.ToArray()).reshape(_features.Count / FeatureDim, FeatureDim);

    /// <summary>Adds a batch's features (the cursor has already moved past it) and writes the file atomically.</summary>
    public void Append(Tensor batchFeatures)
    {
        FeatureDim = (int)batchFeatures.shape[1];
        using (var onCpu = batchFeatures.cpu())
        using (var contiguous = onCpu.contiguous())
            _features.AddRange(contiguous.data<float>().ToArray());
        var bytes = new byte[_features.Count * sizeof(float)];
        Buffer.BlockCopy(_features.ToArray(), 0, bytes, 0, bytes.Length);
        var stored = new Stored(_key, Cursor.Done, Cursor.RngState is { } s ? Convert.ToBase64String(s) : null, FeatureDim, Convert.ToBase64String(bytes));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
        string temp = TemporaryFiles.NameFor(_path);
        File.WriteAllText(temp, JsonSerializer.Serialize(stored));
        File.Move(temp, _path, overwrite: true);
    }

    /// <summary>Removes the file once the evaluation is complete.</summary>
    public void Complete()
    {
        if (File.Exists(_path)) File.Delete(_path);
    }
}
