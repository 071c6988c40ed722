using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Recipes;
using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>
/// The real images an evaluation compares against, opened: the source's dataset built through the catalog (so any
/// registered type works, plugins' included) as a measurement reads it (<see cref="UnaugmentedData"/>: no flip, every
/// image, the requested split where the dataset has splits), checked to have the samples' shape.
/// </summary>
public sealed class ReferenceDataset : IDisposable
{
    private ReferenceDataset(ReferenceSource source, ComponentSpec spec, IDataset dataset)
    {
        Source = source;
        Spec = spec;
        Dataset = dataset;
    }

    public ReferenceSource Source { get; }
    /// <summary>The spec actually opened (split set, flip and limit off).</summary>
    public ComponentSpec Spec { get; }
    public IDataset Dataset { get; }
    /// <summary>The split read, or null for a dataset without splits.</summary>
    public string? Split => UnaugmentedData.SplitOf(Spec);
    /// <summary>The dataset's content hash, or null when it has none (then its features are not cached).</summary>
    public string? ContentHash => (Dataset as IContentHashedDataset)?.ContentHash;

    public static ReferenceDataset Open(ReferenceSource source, string split, SampleShape samples, ComponentCatalog catalog, Device device)
    {
        ArgumentNullException.ThrowIfNull(source);
        var spec = UnaugmentedData.Of(source.Data, split);
        var dataset = new ComponentBuilder(catalog).Build<IDataset>(spec, new ComponentContext(default, default, 0, device));
        var reference = new ReferenceDataset(source, spec, dataset);
        if (dataset.Shape != samples)
        {
            reference.Dispose();
            throw new EvaluationException(
                $"the reference images ({reference.Name}, from {source.Origin}) are {dataset.Shape} (channels x height x width), but the checkpoint's samples are " +
                $"{samples}: FID compares images of one shape. Pass --reference with a recipe (.toml) or an image folder whose images are {samples}.");
        }
        return reference;
    }

    /// <summary>"cifar10 test" or the type alone for a dataset without splits.</summary>
    public string Name => Split is { } s ? $"{Spec.Type} {s}" : Spec.Type;

    /// <summary>
    /// Features of the first <paramref name="count"/> images, from the cache when the dataset has a content hash (and
    /// written to it the first time); without one they are computed every time.
    /// </summary>
    public ReferenceFeatures Features(long count, IFeatureExtractor extractor, ReferenceStatisticsCache cache, int batchSize,
                                      IProgress<EvaluationProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        ArgumentNullException.ThrowIfNull(cache);
        var shape = Dataset.Shape;
        var key = new ReferenceKey(Dataset.Name, ContentHash ?? "none", Split ?? "none", shape.Height, count, extractor.Name, extractor.Fingerprint);
        Tensor Compute() => EvaluationRunner.ExtractDataset(Dataset, count, extractor, batchSize, progress);
        return ContentHash is null ? ReferenceStatisticsCache.Uncached(key, Compute) : cache.GetOrCompute(key, Compute);
    }

    /// <summary>What the report says about the reference.</summary>
    public ReferenceDescription Describe(long count) => new()
    {
        Type = Spec.Type,
        Origin = Source.Origin,
        Path = UnaugmentedData.PathOf(Spec) is { } path ? System.IO.Path.GetFullPath(path) : null,
        Split = Split,
        Count = count,
        ContentHash = ContentHash,
    };

    public void Dispose() => Dataset.Dispose();
}

/// <summary>The reference of an evaluation as eval.json records it.</summary>
public sealed record ReferenceDescription
{
    /// <summary>The dataset type (e.g. fashion-mnist, cifar10, image-folder).</summary>
    public required string Type { get; init; }
    /// <summary>Where the reference was chosen: "the checkpoint's recipe", a recipe file or an image folder.</summary>
    public required string Origin { get; init; }
    /// <summary>The dataset's files (its path option), when it has one.</summary>
    public string? Path { get; init; }
    /// <summary>The split read; null for a dataset without splits.</summary>
    public string? Split { get; init; }
    /// <summary>Images compared (the first n).</summary>
    public long Count { get; init; }
    /// <summary>The dataset's content hash (the cache key); null when it has none and its features were not cached.</summary>
    public string? ContentHash { get; init; }
}
