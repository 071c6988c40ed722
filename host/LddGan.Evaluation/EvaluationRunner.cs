using System.Diagnostics;
using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Models;
using LddGan.Engine.Runtime;
using LddGan.Engine.Sessions;
using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>
/// <c>lddgan eval</c>: generates n samples with a checkpoint's EMA generator, extracts their features, and compares them
/// with the (cached) features of n real images of the recipe's dataset: Fréchet distance, precision and recall (k = 3).
/// </summary>
public sealed class EvaluationRunner(ComponentCatalog catalog)
{
    public EvaluationReport Run(string checkpointOrRun, EvaluationOptions options, IProgress<EvaluationProgress>? progress = null)
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new EvaluationException(string.Join(Environment.NewLine, errors));
        var clock = Stopwatch.StartNew();
        using var session = DiffusionGanModel.Load(checkpointOrRun, catalog, options.Device);
        var device = DeviceSelection.Resolve(options.Device ?? session.Recipe.Device, session.Recipe.Runtime);
        using var extractor = FeatureExtractors.Create(options.Features, options.FeatureWeights, device);

        var (dataset, dataHash, imageSize) = ReferenceData.Open(session.Recipe.Data, options.Split);
        using var _ = dataset;
        long referenceCount = Math.Min(options.Count, dataset.Count);
        var key = new ReferenceKey(dataset.Name, dataHash, options.Split, imageSize, referenceCount, extractor.Name, extractor.Fingerprint);
        var cache = new ReferenceStatisticsCache(options.CacheFolder ?? ReferenceStatisticsCache.DefaultFolder());
        using var reference = cache.GetOrCompute(key, () => ExtractDataset(dataset, referenceCount, extractor, options.BatchSize, progress));

        var sampling = Stopwatch.StartNew();
        using var fake = ExtractSamples(session, options, extractor, progress);
        sampling.Stop();
        using var fakeStatistics = FeatureStatistics.FromFeatures(fake);
        var (fid, usedEpsilon) = FrechetDistance.ComputeDetailed(reference.Statistics.Mean, reference.Statistics.Covariance,
                                                                 fakeStatistics.Mean, fakeStatistics.Covariance);
        var pr = PrecisionRecall.Compute(reference.Features, fake, options.K);

        return new EvaluationReport
        {
            Checkpoint = Path.GetFullPath(session.CheckpointPath!),
            GlobalStep = session.Meta.GlobalStep,
            Weights = session.UsesEma ? "ema" : "raw",
            Dataset = dataset.Name,
            Split = options.Split,
            ReferenceImages = referenceCount,
            Samples = options.Count,
            Seed = options.Seed,
            BatchSize = options.BatchSize,
            Features = extractor.Name,
            FeatureDim = extractor.Dim,
            Fid = fid,
            FidEpsilonFallback = usedEpsilon,
            Precision = pr.Precision,
            Recall = pr.Recall,
            K = pr.K,
            Nfe = session.NumTimesteps,
            SamplingSeconds = sampling.Elapsed.TotalSeconds,
            TotalSeconds = clock.Elapsed.TotalSeconds,
            ReferenceFromCache = reference.FromCache,
            ReferenceCacheFile = reference.Path,
            Device = device.ToString(),
            Created = DateTimeOffset.Now,
        };
    }

    /// <summary>Features of the first <paramref name="count"/> images of <paramref name="dataset"/> (N, D), in batches.</summary>
    public static Tensor ExtractDataset(IDataset dataset, long count, IFeatureExtractor extractor, int batchSize,
                                        IProgress<EvaluationProgress>? progress = null)
    {
        const string stage = "reference features";
        var parts = new List<Tensor>();
        progress?.Report(new(stage, 0, count));
        for (long start = 0; start < count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            long n = Math.Min(batchSize, count - start);
            var indices = Enumerable.Range(0, (int)n).Select(i => start + i).ToArray();
            parts.Add(extractor.Extract(dataset.GetBatch(indices)).MoveToOuterDisposeScope());
            progress?.Report(new(stage, start + n, count));
        }
        return Concatenate(parts);
    }

    private static Tensor ExtractSamples(DiffusionGanModel session, EvaluationOptions options, IFeatureExtractor extractor,
                                         IProgress<EvaluationProgress>? progress)
    {
        const string stage = "samples";
        var parts = new List<Tensor>();
        long done = 0;
        progress?.Report(new(stage, 0, options.Count));
        foreach (var batch in session.SampleBatches(options.Count, options.Seed, options.BatchSize))
        {
            using (batch) parts.Add(extractor.Extract(batch));
            done += parts[^1].shape[0];
            progress?.Report(new(stage, done, options.Count));
        }
        return Concatenate(parts);
    }

    private static Tensor Concatenate(List<Tensor> parts)
    {
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }
}
