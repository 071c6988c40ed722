using LddGan.Abstractions;

namespace LddGan.Engine.Losses;

/// <summary>
/// Adversarial loss plus a constant-weight L1 reconstruction of x_0 (WDDGAN's <c>--rec_loss</c>, weight 1).
/// </summary>
public sealed class ConstantReconstructionLossSchedule(double weight) : ILossSchedule
{
    public GeneratorLossWeights WeightsAt(TrainingProgress progress) => new(Adversarial: 1.0, Reconstruction: weight);
}

public sealed record ConstantReconstructionLossOptions : IValidatableOptions
{
    /// <summary>Weight of the L1 loss between the generator's x_0 prediction and the real x_0 (WDDGAN: 1).</summary>
    public double Weight { get; init; } = 1.0;

    public IEnumerable<string> Validate()
    {
        if (Weight < 0) yield return "weight must be non-negative";
    }
}

[Component(ComponentKind.LossSchedule, "constant-reconstruction", Description = "Adversarial + constant-weight L1 reconstruction of x0 (WDDGAN).")]
public sealed class ConstantReconstructionLossScheduleFactory : ComponentFactory<ConstantReconstructionLossOptions, ConstantReconstructionLossSchedule>
{
    public override ConstantReconstructionLossSchedule Create(ConstantReconstructionLossOptions options, ComponentContext context) => new(options.Weight);
}
