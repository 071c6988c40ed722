using System.Diagnostics;
using LddGan.Engine.Models;
using LddGan.Engine.Sessions;

namespace LddGan.Evaluation;

/// <summary>
/// FID, precision and recall during training (<c>[train] eval_every</c>): the model's sampling generator (the EMA copy)
/// draws the same samples at every evaluation (one fixed seed), so the numbers follow the weights only; the reference
/// features were prepared once, before the first step.
/// </summary>
public sealed class TrainingFidEvaluator : ITrainingEvaluator
{
    private readonly IFeatureExtractor _extractor;
    private readonly ReferenceFeatures _reference;
    private readonly int _samples;
    private readonly long _seed;
    private readonly int _batchSize;

    /// <summary>Takes ownership of <paramref name="extractor"/> and <paramref name="reference"/>.</summary>
    public TrainingFidEvaluator(IFeatureExtractor extractor, ReferenceFeatures reference, int samples, long seed, int batchSize, string description)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        ArgumentNullException.ThrowIfNull(reference);
        (_extractor, _reference, _samples, _seed, _batchSize, Description) = (extractor, reference, samples, seed, batchSize, description);
    }

    public string Description { get; }

    public IReadOnlyDictionary<string, double> Evaluate(DiffusionModel model, long step)
    {
        var clock = Stopwatch.StartNew();
        using var fake = EvaluationRunner.ExtractSamples(model, _samples, _seed, _batchSize, _extractor);
        using var statistics = FeatureStatistics.FromFeatures(fake);
        double fid = FrechetDistance.Compute(_reference.Statistics, statistics);
        var pr = PrecisionRecall.Compute(_reference.Features, fake);
        return new Dictionary<string, double>
        {
            ["fid"] = fid, ["precision"] = pr.Precision, ["recall"] = pr.Recall, ["eval_seconds"] = clock.Elapsed.TotalSeconds,
        };
    }

    public void Dispose()
    {
        _reference.Dispose();
        _extractor.Dispose();
    }
}
