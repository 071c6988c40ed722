namespace LddGan.Evaluation;

/// <summary>What <see cref="EvaluationRunner"/> measures and against what.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Generated samples, and real reference images (the first n of the split, or all if it has fewer).</summary>
    public int Count { get; init; } = 10_000;
    /// <summary>Samples generated (and feature batches extracted) at a time.</summary>
    public int BatchSize { get; init; } = 250;
    /// <summary>Seed of the sampling noise.</summary>
    public long Seed { get; init; }
    /// <summary>How a Gaussian diffusion model samples (null: its recipe's [sample] keys); ignored by a diffusion GAN.</summary>
    public LddGan.Engine.Diffusion.GaussianSamplerSettings? Sampling { get; init; }
    /// <summary>Feature extractor name (see <see cref="FeatureExtractors.Names"/>).</summary>
    public string Features { get; init; } = FeatureNetExtractor.ExtractorName;
    /// <summary>Reference split: "test" or "train" (for a reference dataset that has splits).</summary>
    public string Split { get; init; } = "test";
    /// <summary>
    /// The real images: null for the checkpoint recipe's dataset, a <c>.toml</c> recipe (its <c>[data]</c>), or a folder
    /// of images (read by the <c>image-folder</c> dataset at the samples' side and channel count).
    /// </summary>
    public string? Reference { get; init; }
    /// <summary>Neighbour count of precision/recall.</summary>
    public int K { get; init; } = PrecisionRecall.DefaultK;
    /// <summary>Weights of the feature extractor (default: the shipped file, found from the working directory upwards).</summary>
    public string? FeatureWeights { get; init; }
    /// <summary>Reference-feature cache folder (default: <see cref="ReferenceStatisticsCache.DefaultFolder"/>).</summary>
    public string? CacheFolder { get; init; }
    /// <summary>
    /// A file where the sample features are kept after every batch (null: nowhere): an interrupted evaluation run again
    /// with the same file resumes with the same samples. Deleted when the evaluation completes.
    /// </summary>
    public string? ProgressFile { get; init; }
    /// <summary>Device for sampling and features (default: the checkpoint recipe's).</summary>
    public string? Device { get; init; }

    public IEnumerable<string> Validate()
    {
        if (Count <= K) yield return $"--n must be larger than k = {K} (precision/recall needs more than k points), got {Count}";
        if (BatchSize < 1) yield return $"--batch must be at least 1, got {BatchSize}";
        if (Split is not ("test" or "train")) yield return $"--split must be test or train, not \"{Split}\"";
        if (K < 1) yield return $"k must be at least 1, got {K}";
    }
}

/// <summary>Where an evaluation is: <see cref="Stage"/> ("reference features", "samples") and how far.</summary>
public readonly record struct EvaluationProgress(string Stage, long Done, long Total);
