using LddGan.Abstractions;
using LddGan.Engine.Losses;
using NUnit.Framework;

namespace LddGan.Tests.Losses;

/// <summary>The generator-loss schedules: adversarial only (DDGAN), constant λ (WDDGAN), Weighted Learning (LDDGAN).</summary>
public sealed class LossScheduleTests
{
    private static GeneratorLossWeights At(ILossSchedule s, int epoch, int numEpochs) => s.WeightsAt(new TrainingProgress(epoch, numEpochs, 0));

    [TestCase(2000)]
    [TestCase(10)]
    [TestCase(2)]
    public void WeightedLearningFollowsTheReferenceSigmoidAtTheEndsAndTheMiddle(int numEpochs)
    {
        var s = new WeightedLearningLossSchedule(6.0);
        // 1 − sigmoid(−6) = 0.9975274, 1 − sigmoid(0) = 0.5, 1 − sigmoid(6) = 0.0024726 (reference-models §7.5).
        Assert.That(At(s, 0, numEpochs).Reconstruction, Is.EqualTo(0.99752738).Within(1e-8));
        Assert.That(At(s, numEpochs / 2, numEpochs).Reconstruction, Is.EqualTo(0.5).Within(1e-12));
        Assert.That(At(s, numEpochs, numEpochs).Reconstruction, Is.EqualTo(0.00247262).Within(1e-8));
        Assert.That(At(s, numEpochs / 2, numEpochs).Adversarial, Is.EqualTo(1.0), "the adversarial term keeps weight 1");
    }

    [Test]
    public void WeightedLearningDecaysMonotonicallyAndDependsOnTheBudget()
    {
        var s = new WeightedLearningLossSchedule(6.0);
        var values = Enumerable.Range(0, 101).Select(e => s.Lambda(e, 100)).ToList();
        Assert.That(values, Is.Ordered.Descending);
        Assert.That(values.Zip(values.Skip(1), (a, b) => a - b).All(d => d > 0), Is.True, "strictly decreasing");
        // CIFAR-10's released checkpoint is epoch 950 of 2000: λ ≈ 0.574 there (reference-models §7.5).
        Assert.That(s.Lambda(950, 2000), Is.EqualTo(0.574).Within(5e-4));
        Assert.That(s.Lambda(50, 100), Is.Not.EqualTo(s.Lambda(50, 200)));
        Assert.That(s.Lambda(500, 100), Is.EqualTo(s.Lambda(100, 100)), "past the budget the last value holds");
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Lambda(0, 0));
        Assert.That(new WeightedLearningLossOptions { Gamma = 0 }.Validate().Single(), Does.Contain("gamma"));
    }

    [Test]
    public void WeightedLearningsAdversarialWeightIsOneUnlessTheAblationSetsIt()
    {
        Assert.That(new WeightedLearningLossOptions().AdversarialWeight, Is.EqualTo(1.0));
        var ablation = new WeightedLearningLossSchedule(6.0, adversarialWeight: 0.0);
        Assert.That(At(ablation, 3, 10), Is.EqualTo(new GeneratorLossWeights(0.0, new WeightedLearningLossSchedule(6.0).Lambda(3, 10))));
        Assert.That(new WeightedLearningLossOptions { AdversarialWeight = -1 }.Validate().Single(), Does.Contain("adversarial_weight"));
        Assert.That(new WeightedLearningLossOptions { AdversarialWeight = double.NaN }.Validate().Single(), Does.Contain("adversarial_weight"));
    }

    [Test]
    public void ConstantAndAdversarialSchedulesIgnoreTheEpoch()
    {
        Assert.That(At(new ConstantReconstructionLossSchedule(1.0), 7, 10), Is.EqualTo(new GeneratorLossWeights(1.0, 1.0)));
        Assert.That(At(new AdversarialLossSchedule(), 7, 10), Is.EqualTo(new GeneratorLossWeights(1.0, 0.0)));
    }
}
