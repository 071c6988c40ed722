using LddGan.Abstractions;

namespace LddGan.Engine.Losses;

/// <summary>DDGAN's generator objective: the non-saturating adversarial loss only.</summary>
public sealed class AdversarialLossSchedule : ILossSchedule
{
    public GeneratorLossWeights WeightsAt(TrainingProgress progress) => new(Adversarial: 1.0, Reconstruction: 0.0);
}

public sealed record AdversarialLossOptions;

[Component(ComponentKind.LossSchedule, "adversarial", Description = "Adversarial loss only (DDGAN).")]
public sealed class AdversarialLossScheduleFactory : ComponentFactory<AdversarialLossOptions, AdversarialLossSchedule>
{
    public override AdversarialLossSchedule Create(AdversarialLossOptions options, ComponentContext context) => new();
}
