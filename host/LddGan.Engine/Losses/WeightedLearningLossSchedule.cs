using LddGan.Abstractions;

namespace LddGan.Engine.Losses;

/// <summary>
/// LDDGAN's "Weighted Learning" (<c>--rec_loss --sigmoid_learning</c>): the adversarial loss plus an L1 reconstruction of
/// x_0 whose weight decays along a sigmoid over the epochs,
/// <code>λ(epoch) = 1 − sigmoid(β[epoch]),  β = linspace(−γ, γ, num_epoch + 1)</code>
/// so λ starts at 1 − sigmoid(−γ) (0.99753 for γ = 6), is ½ at the middle epoch and reaches sigmoid(−γ) (0.00247) at
/// index num_epoch. The reference hard-codes γ = 6 (the paper's δ). The official loop runs num_epoch + 1 epochs and
/// reaches the last value; ours runs num_epochs, so the last epoch uses index num_epochs − 1 (docs/architecture.md).
/// λ depends on the epoch budget: changing <c>num_epochs</c> changes the schedule, as in the reference.
/// </summary>
public sealed class WeightedLearningLossSchedule(double gamma, double adversarialWeight = 1.0) : ILossSchedule
{
    public double Gamma { get; } = gamma;

    /// <summary>The adversarial loss's weight: 1 in the reference; 0 makes the ablation without a discriminator.</summary>
    public double AdversarialWeight { get; } = adversarialWeight;

    public GeneratorLossWeights WeightsAt(TrainingProgress progress) => new(Adversarial: AdversarialWeight, Reconstruction: Lambda(progress.Epoch, progress.NumEpochs));

    /// <summary>λ at <paramref name="epoch"/> of a budget of <paramref name="numEpochs"/> (epochs past the budget keep the last value).</summary>
    public double Lambda(int epoch, int numEpochs)
    {
        if (numEpochs < 1) throw new ArgumentOutOfRangeException(nameof(numEpochs), numEpochs, "the epoch budget must be at least 1");
        var index = Math.Clamp(epoch, 0, numEpochs);
        var beta = -Gamma + 2.0 * Gamma * index / numEpochs;   // linspace(−γ, γ, numEpochs + 1)[index]
        return 1.0 - 1.0 / (1.0 + Math.Exp(-beta));
    }
}

public sealed record WeightedLearningLossOptions : IValidatableOptions
{
    /// <summary>Half-width γ of the sigmoid's input range (the reference's hard-coded 6; the paper's δ).</summary>
    public double Gamma { get; init; } = 6.0;

    /// <summary>
    /// Weight of the adversarial loss (1 in the reference). 0 is an ablation, not a method: the generator learns from
    /// the reconstruction term alone (D is still trained, and ignored), which measures what the adversarial term adds.
    /// </summary>
    public double AdversarialWeight { get; init; } = 1.0;

    public IEnumerable<string> Validate()
    {
        if (!(Gamma > 0) || double.IsInfinity(Gamma)) yield return $"gamma must be a positive number, got {Gamma}";
        if (!(AdversarialWeight >= 0) || double.IsInfinity(AdversarialWeight))
            yield return $"adversarial_weight must be a number >= 0 (1 as in LDDGAN; 0 for the ablation without D), got {AdversarialWeight}";
    }
}

[Component(ComponentKind.LossSchedule, "weighted-learning",
    Description = "Adversarial + L1 reconstruction of x0 weighted by 1 - sigmoid(linspace(-gamma, gamma, num_epochs + 1))[epoch] (LDDGAN).")]
public sealed class WeightedLearningLossScheduleFactory : ComponentFactory<WeightedLearningLossOptions, WeightedLearningLossSchedule>
{
    public override WeightedLearningLossSchedule Create(WeightedLearningLossOptions options, ComponentContext context) => new(options.Gamma, options.AdversarialWeight);
}
