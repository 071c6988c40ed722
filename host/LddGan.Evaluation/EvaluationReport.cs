using System.Text.Json;
using System.Text.Json.Serialization;
using LddGan.Engine.Imaging;

namespace LddGan.Evaluation;

/// <summary>The result of <c>lddgan eval</c>, written as eval.json.</summary>
public sealed record EvaluationReport
{
    public required string Checkpoint { get; init; }
    public long GlobalStep { get; init; }
    /// <summary>The checkpoint's training wall time, summed over resumes (seconds; 0 where the checkpoint does not record it).</summary>
    public double TrainingSeconds { get; init; }
    /// <summary>"ema" or "raw".</summary>
    public required string Weights { get; init; }
    /// <summary>The reference dataset's name (its type).</summary>
    public required string Dataset { get; init; }
    /// <summary>The reference split ("none" for a dataset without splits).</summary>
    public required string Split { get; init; }
    public long ReferenceImages { get; init; }
    /// <summary>The reference: dataset type, where it was chosen, its path, split, image count and content hash.</summary>
    public ReferenceDescription? Reference { get; init; }
    public int Samples { get; init; }
    public long Seed { get; init; }
    public int BatchSize { get; init; }
    public required string Features { get; init; }
    public int FeatureDim { get; init; }
    /// <summary>Fréchet distance in the extractor's feature space ("FID-FMNIST" for fmnist).</summary>
    public double Fid { get; init; }
    /// <summary>Whether the ε·I fallback of the Fréchet distance was needed.</summary>
    public bool FidEpsilonFallback { get; init; }
    public double Precision { get; init; }
    public double Recall { get; init; }
    public int K { get; init; }
    /// <summary>Generator evaluations per sample (the number of reverse diffusion steps).</summary>
    public int Nfe { get; init; }
    public double SamplingSeconds { get; init; }
    public double TotalSeconds { get; init; }
    /// <summary>Whether the real-data features came from the cache.</summary>
    public bool ReferenceFromCache { get; init; }
    /// <summary>The cache file of the real-data features; null when they were not cached (see <see cref="ReferenceNotCached"/>).</summary>
    public string? ReferenceCacheFile { get; init; }
    /// <summary>Why the real-data features were computed without the cache; null when they were cached.</summary>
    public string? ReferenceNotCached { get; init; }
    public required string Device { get; init; }
    /// <summary>Samples whose features were resumed from a progress file (made by an earlier, interrupted run) instead of made now.</summary>
    public int ResumedSamples { get; init; }
    /// <summary>Why a progress file that was there was not resumed (made for another checkpoint or setting); null otherwise.</summary>
    public string? ProgressFileDiscarded { get; init; }
    /// <summary>An autoencoder's evaluation: mean L1 of the reconstructions (pixels in [−1, 1]); null for a generative model.</summary>
    public double? ReconstructionL1 { get; init; }
    /// <summary>An autoencoder's evaluation: mean PSNR of the reconstructions (dB, pixels in [0, 1]); null for a generative model.</summary>
    public double? ReconstructionPsnr { get; init; }
    public DateTimeOffset Created { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static EvaluationReport FromJson(string json) =>
        JsonSerializer.Deserialize<EvaluationReport>(json, Json) ?? throw new InvalidDataException("empty evaluation report");

    public void Save(string path) => AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(ToJson() + "\n"));

    /// <summary>
    /// eval.json in the run directory when the argument is one (or a checkpoint in a run's checkpoints/ folder);
    /// otherwise runs/eval/&lt;checkpoint name&gt;.eval.json under the working directory, so evaluating a shipped or
    /// downloaded checkpoint never writes into the folder it came from.
    /// </summary>
    public static string DefaultPath(string checkpointOrRun)
    {
        string full = Path.GetFullPath(checkpointOrRun);
        if (Directory.Exists(full)) return Path.Combine(full, "eval.json");
        var folder = Path.GetDirectoryName(full)!;
        var run = Path.GetDirectoryName(folder);
        if (Path.GetFileName(folder) == "checkpoints" && run is not null &&
            (File.Exists(Path.Combine(run, "run.json")) || File.Exists(Path.Combine(run, "recipe.resolved.toml"))))
            return Path.Combine(run, "eval.json");
        return Path.GetFullPath(Path.Combine("runs", "eval", Path.GetFileNameWithoutExtension(full) + ".eval.json"));
    }
}
