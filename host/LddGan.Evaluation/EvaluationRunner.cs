using TorchSharp;
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
        using var session = DiffusionModel.Load(checkpointOrRun, catalog, options.Device);
        var device = DeviceSelection.Resolve(options.Device ?? session.Recipe.Device, session.Recipe.Runtime);
        using var extractor = FeatureExtractors.Create(options.Features, options.FeatureWeights, device);
        // Before any data is read: a pairing the extractor cannot take (colour images, fmnist features) fails at once.
        if (extractor.Refuses(session.DataShape) is { } refusal) throw new EvaluationException($"--features {extractor.Name}: {refusal}");

        var source = ReferenceSource.Resolve(options.Reference, session.Recipe.Data, session.DataShape, catalog);
        using var referenceData = ReferenceDataset.Open(source, options.Split, session.DataShape, catalog, device);
        long referenceCount = Math.Min(options.Count, referenceData.Dataset.Count);
        if (referenceCount <= options.K)
            throw new EvaluationException($"the reference ({referenceData.Name}, from {source.Origin}) has {referenceData.Dataset.Count} images; " +
                                          $"precision/recall needs more than k = {options.K}. Choose a larger reference (--reference).");
        var cache = new ReferenceStatisticsCache(options.CacheFolder ?? ReferenceStatisticsCache.DefaultFolder());
        using var reference = referenceData.Features(referenceCount, extractor, cache, options.BatchSize, progress);

        var sampling = Stopwatch.StartNew();
        var kept = options.ProgressFile is { } progressFile
            ? SampleFeatureProgress.Open(progressFile, new(SampleFeatureProgress.Fingerprint(session.CheckpointPath!), options.Seed, options.Count,
                                                           options.BatchSize, options.Sampling?.ToString() ?? "recipe", extractor.Name))
            : null;
        using var fake = ExtractSamples(session, options.Count, options.Seed, options.BatchSize, extractor, progress, options.Sampling, kept);
        sampling.Stop();
        using var fakeStatistics = FeatureStatistics.FromFeatures(fake);
        return Measure(Path.GetFullPath(session.CheckpointPath!), session.UsesEma ? "ema" : "raw",
                       reference, referenceData, referenceCount, fake, fakeStatistics, extractor, options, device) with
        {
            GlobalStep = session.Meta.GlobalStep,
            TrainingSeconds = session.Meta.TrainingSeconds,
            Samples = options.Count,
            Seed = options.Seed,
            Nfe = session.NumFunctionEvaluations(options.Sampling),
            SamplingSeconds = sampling.Elapsed.TotalSeconds,
            TotalSeconds = clock.Elapsed.TotalSeconds,
            ReferenceNotCached = reference.Path is null
                ? $"the {referenceData.Spec.Type} dataset has no content hash, so its features are computed on every evaluation" : null,
            ResumedSamples = kept?.ResumedFrom ?? 0,
            ProgressFileDiscarded = kept?.Discarded,
        };
    }

    /// <summary>Whether a checkpoint (or run directory) holds a first-stage autoencoder (its recipe has an [autoencoder] section).</summary>
    public static bool IsAutoencoderCheckpoint(string checkpointOrRun)
    {
        string path = Engine.Checkpoints.CheckpointFile.ResolvePath(checkpointOrRun);
        if (!File.Exists(path)) return false;
        using var reader = Engine.Checkpoints.CheckpointFile.Open(path);
        try { return Engine.Recipes.RecipeDocument.Parse(reader.RecipeToml, "recipe").IsAutoencoder; }
        catch (Engine.Recipes.RecipeException) { return false; }
    }

    /// <summary>
    /// An autoencoder's ceiling for a latent model (LDDGAN cannot sample better than its decoder reconstructs): the first
    /// n test images encoded and decoded, their L1 and PSNR, and FID, precision and recall of the reconstructions against
    /// the same n test images, with the features and k of <see cref="Run"/>.
    /// </summary>
    public EvaluationReport RunReconstructions(string checkpointOrRun, EvaluationOptions options, IProgress<EvaluationProgress>? progress = null)
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new EvaluationException(string.Join(Environment.NewLine, errors));
        var clock = Stopwatch.StartNew();
        string path = Path.GetFullPath(Engine.Checkpoints.CheckpointFile.ResolvePath(checkpointOrRun));
        Engine.Recipes.AutoencoderRecipe recipe;
        SampleShape shape;
        long step;
        double trainingSeconds;
        using (var reader = Engine.Checkpoints.CheckpointFile.Open(path))
        {
            recipe = new Engine.Recipes.AutoencoderRecipeLoader(catalog).Parse(reader.RecipeToml, path);
            shape = reader.Meta.DataShape;
            step = reader.Meta.GlobalStep;
            trainingSeconds = reader.Meta.TrainingSeconds;
        }
        var device = DeviceSelection.Resolve(options.Device ?? recipe.Device, recipe.Runtime);
        var trained = new TrainedAutoencoderLoader(catalog).Load(path, shape);
        using var autoencoder = trained.Autoencoder;
        autoencoder.to(device);
        autoencoder.eval();
        using var extractor = FeatureExtractors.Create(options.Features, options.FeatureWeights, device);
        if (extractor.Refuses(shape) is { } refusal) throw new EvaluationException($"--features {extractor.Name}: {refusal}");
        var source = ReferenceSource.Resolve(options.Reference, recipe.Data, shape, catalog);
        using var referenceData = ReferenceDataset.Open(source, options.Split, shape, catalog, device);
        long count = Math.Min(options.Count, referenceData.Dataset.Count);
        var cache = new ReferenceStatisticsCache(options.CacheFolder ?? ReferenceStatisticsCache.DefaultFolder());
        using var reference = referenceData.Features(count, extractor, cache, options.BatchSize, progress);

        var sampling = Stopwatch.StartNew();
        var parts = new List<Tensor>();
        double l1Sum = 0, psnrSum = 0;
        progress?.Report(new("reconstructions", 0, count));
        for (long start = 0; start < count; start += options.BatchSize)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            long n = Math.Min(options.BatchSize, count - start);
            var images = referenceData.Dataset.GetBatch(Enumerable.Range(0, (int)n).Select(i => start + i).ToArray()).to(device);
            using var output = autoencoder.Reconstruct(images);
            var reconstruction = output.Reconstruction.clamp(-1, 1);
            l1Sum += (reconstruction - images).abs().mean([1, 2, 3]).sum().item<float>();
            // PSNR on pixels in [0, 1], as the autoencoder's training report: 10·log10(1 / MSE) per image.
            var mse = ((reconstruction - images) / 2).pow(2).mean([1, 2, 3]).clamp_min(1e-10);
            psnrSum += (mse.log10() * -10).sum().item<float>();
            parts.Add(extractor.Extract(reconstruction).MoveToOuterDisposeScope());   // the extractor takes any device
            progress?.Report(new("reconstructions", start + n, count));
        }
        using var fake = Concatenate(parts);
        sampling.Stop();
        using var fakeStatistics = FeatureStatistics.FromFeatures(fake);
        return Measure(path, "autoencoder reconstructions of the reference",
                       reference, referenceData, count, fake, fakeStatistics, extractor, options, device) with
        {
            GlobalStep = step,
            TrainingSeconds = trainingSeconds,
            Samples = (int)count,
            SamplingSeconds = sampling.Elapsed.TotalSeconds,
            TotalSeconds = clock.Elapsed.TotalSeconds,
            ReconstructionL1 = l1Sum / count,
            ReconstructionPsnr = psnrSum / count,
        };
    }

    /// <summary>
    /// The floor of the metrics: the first n images of the training split of a recipe's dataset measured as if they were
    /// samples, against the first n of <see cref="EvaluationOptions.Split"/> (test): what a perfect model would score at
    /// this n, with the same features and k as <see cref="Run"/>.
    /// </summary>
    public EvaluationReport RunRealData(string recipePath, EvaluationOptions options, IProgress<EvaluationProgress>? progress = null)
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new EvaluationException(string.Join(Environment.NewLine, errors));
        if (options.Split == "train")
            throw new EvaluationException("--real-data measures the training split against the reference split: keep --split test.");
        var clock = Stopwatch.StartNew();
        var device = DeviceSelection.Resolve(options.Device ?? "cpu");
        var source = new ReferenceSource(new Engine.Recipes.DataSectionLoader(catalog).LoadFile(recipePath), Path.GetFullPath(recipePath));
        SampleShape shape;
        using (var probe = new ComponentBuilder(catalog).Build<IDataset>(source.Data, new ComponentContext(default, default, 0, device))) shape = probe.Shape;
        using var extractor = FeatureExtractors.Create(options.Features, options.FeatureWeights, device);
        if (extractor.Refuses(shape) is { } refusal) throw new EvaluationException($"--features {extractor.Name}: {refusal}");
        using var referenceData = ReferenceDataset.Open(source, options.Split, shape, catalog, device);
        using var trainData = ReferenceDataset.Open(source, "train", shape, catalog, device);
        if (referenceData.Split is null)
            throw new EvaluationException($"{recipePath}: its dataset ({referenceData.Name}) has no train and test splits, so it has no real-data floor to measure.");
        long count = Math.Min(options.Count, Math.Min(referenceData.Dataset.Count, trainData.Dataset.Count));
        var cache = new ReferenceStatisticsCache(options.CacheFolder ?? ReferenceStatisticsCache.DefaultFolder());
        using var reference = referenceData.Features(count, extractor, cache, options.BatchSize, progress);
        using var real = trainData.Features(count, extractor, cache, options.BatchSize, progress);
        return Measure($"real data: the first {count:N0} images of {trainData.Name}", "none",
                       reference, referenceData, count, real.Features, real.Statistics, extractor, options, device) with
        {
            Samples = (int)count,
            TotalSeconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>
    /// One set of features measured against the reference: the Fréchet distance of their statistics, precision and recall
    /// (k = <see cref="EvaluationOptions.K"/>), and the report fields every kind of evaluation shares; the caller adds its own.
    /// </summary>
    private static EvaluationReport Measure(string checkpoint, string weights, ReferenceFeatures reference, ReferenceDataset referenceData,
                                            long referenceCount, Tensor features, FeatureStatistics statistics, IFeatureExtractor extractor,
                                            EvaluationOptions options, Device device)
    {
        var (fid, usedEpsilon) = FrechetDistance.ComputeDetailed(reference.Statistics.Mean, reference.Statistics.Covariance,
                                                                 statistics.Mean, statistics.Covariance);
        var pr = PrecisionRecall.Compute(reference.Features, features, options.K);
        return new EvaluationReport
        {
            Checkpoint = checkpoint,
            Weights = weights,
            Dataset = referenceData.Dataset.Name,
            Split = referenceData.Split ?? "none",
            ReferenceImages = referenceCount,
            Reference = referenceData.Describe(referenceCount),
            BatchSize = options.BatchSize,
            Features = extractor.Name,
            FeatureDim = extractor.Dim,
            Fid = fid,
            FidEpsilonFallback = usedEpsilon,
            Precision = pr.Precision,
            Recall = pr.Recall,
            K = pr.K,
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

    /// <summary>Features (N, D) of <paramref name="count"/> samples of the model's sampling generator, one noise stream seeded by <paramref name="seed"/>.</summary>
    /// <param name="kept">Where the features made so far are kept after every batch, and resumed from (null: nowhere).</param>
    public static Tensor ExtractSamples(DiffusionModel model, int count, long seed, int batchSize, IFeatureExtractor extractor,
                                        IProgress<EvaluationProgress>? progress = null, LddGan.Engine.Diffusion.GaussianSamplerSettings? sampling = null,
                                        SampleFeatureProgress? kept = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(extractor);
        const string stage = "samples";
        var parts = new List<Tensor>();
        if (kept?.Resumed() is { } resumed) parts.Add(resumed);
        long done = kept?.Cursor.Done ?? 0;
        progress?.Report(new(stage, done, count));
        foreach (var batch in model.SampleBatches(count, seed, batchSize, sampling, cursor: kept?.Cursor))
        {
            using (batch) parts.Add(extractor.Extract(batch));
            kept?.Append(parts[^1]);
            done += parts[^1].shape[0];
            progress?.Report(new(stage, done, count));
        }
        kept?.Complete();
        return Concatenate(parts);
    }

    private static Tensor Concatenate(List<Tensor> parts)
    {
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }
}
