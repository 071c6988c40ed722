using LddGan.Abstractions;
using LddGan.Engine.Models;
using LddGan.Engine.Recipes;
using static TorchSharp.torch;

namespace LddGan.Engine.Sessions;

/// <summary>
/// Measures a model while it trains (<c>[train] eval_every</c>), e.g. FID against the recipe's dataset. The engine
/// only calls it; the measuring lives in an assembly the engine does not reference (LddGan.Evaluation), which is why
/// whoever builds a training session hands in an <see cref="ITrainingEvaluatorFactory"/>.
/// </summary>
public interface ITrainingEvaluator : IDisposable
{
    /// <summary>What is measured, against what (printed when the run starts).</summary>
    string Description { get; }

    /// <summary>
    /// Named scalars for <paramref name="step"/> (e.g. fid, precision, recall, eval_seconds), from the model's sampling
    /// generator (the EMA copy while training). Must not draw from the run's random streams.
    /// </summary>
    IReadOnlyDictionary<string, double> Evaluate(DiffusionModel model, long step);
}

/// <summary>Makes the evaluator of a run when its recipe asks for one (eval_every &gt; 0).</summary>
public interface ITrainingEvaluatorFactory
{
    /// <summary>
    /// Prepares everything an evaluation needs (feature network, reference features), so a run that cannot be
    /// evaluated fails before its first step. Throws <see cref="Runs.RunSetupException"/> saying what is missing.
    /// </summary>
    ITrainingEvaluator Create(Recipe recipe, SampleShape dataShape, Device device);
}
