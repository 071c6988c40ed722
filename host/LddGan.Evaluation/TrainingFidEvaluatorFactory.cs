using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Data;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runs;
using LddGan.Engine.Sessions;
using static TorchSharp.torch;

namespace LddGan.Evaluation;

/// <summary>
/// The evaluator that <c>lddgan train</c>, <c>lddgan run</c> and a script's <c>Train</c> hand to a training session:
/// FID in the <see cref="Features"/> network's space against the training recipe's own dataset (its test split when it
/// has splits; unflipped, the first eval_samples images), with the reference features cached as <c>lddgan eval</c>
/// caches them. Everything is prepared in <see cref="Create"/>, before the first step.
/// </summary>
public sealed class TrainingFidEvaluatorFactory(ComponentCatalog catalog) : ITrainingEvaluatorFactory
{
    /// <summary>Feature extractor name (see <see cref="FeatureExtractors.Names"/>).</summary>
    public string Features { get; init; } = FeatureNetExtractor.ExtractorName;
    /// <summary>Its weights (default: the shipped file, found from the working directory upwards).</summary>
    public string? FeatureWeights { get; init; }
    /// <summary>Reference-feature cache folder (default: <see cref="ReferenceStatisticsCache.DefaultFolder"/>).</summary>
    public string? CacheFolder { get; init; }
    /// <summary>Samples generated, and images featurised, at a time.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>The split compared against when the dataset has splits: images the generator never trained on.</summary>
    public const string ReferenceSplit = "test";

    public ITrainingEvaluator Create(Recipe recipe, SampleShape dataShape, Device device)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        IFeatureExtractor? extractor = null;
        try
        {
            extractor = FeatureExtractors.Create(Features, FeatureWeights, device);
            if (extractor.Refuses(dataShape) is { } refusal) throw new EvaluationException(refusal);
            using var data = ReferenceDataset.Open(new ReferenceSource(recipe.Data, "the training recipe"), ReferenceSplit, dataShape, catalog, device);
            long count = Math.Min(recipe.Train.EvalSamples, data.Dataset.Count);
            if (count <= PrecisionRecall.DefaultK)
                throw new EvaluationException($"the reference ({data.Name}) has only {data.Dataset.Count} images; precision/recall needs more than {PrecisionRecall.DefaultK}.");
            var cache = new ReferenceStatisticsCache(CacheFolder ?? ReferenceStatisticsCache.DefaultFolder());
            var reference = data.Features(count, extractor, cache, BatchSize);
            string cached = reference.FromCache ? "cached features" : reference.Path is null ? "features not cached: the dataset has no content hash" : "features cached now";
            string description = $"FID ({extractor.Name} features), precision and recall of {recipe.Train.EvalSamples:N0} EMA samples (seed {recipe.Seed}) " +
                                 $"against {count:N0} {data.Name} images ({cached})";
            return new TrainingFidEvaluator(extractor, reference, recipe.Train.EvalSamples, recipe.Seed, BatchSize, description);
        }
        catch (Exception e) when (e is EvaluationException or DatasetException or ComponentResolutionException or RecipeException)
        {
            extractor?.Dispose();
            throw new RunSetupException(
                $"[train] eval_every = {recipe.Train.EvalEvery}: FID during training cannot be set up: {e.Message}{Environment.NewLine}" +
                "Fix that, or set eval_every = 0 to train without it.");
        }
        catch
        {
            extractor?.Dispose();
            throw;
        }
    }
}
