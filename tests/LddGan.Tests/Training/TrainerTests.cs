using LddGan.Abstractions;
using LddGan.Engine.Diffusion;
using LddGan.Engine.Latent;
using LddGan.Engine.Losses;
using LddGan.Engine.Runtime;
using LddGan.Engine.Training;
using LddGan.Tests.Support;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Tests.Training;

public sealed class TrainerTests
{
    private static (DiffusionGanTrainer Trainer, TrainingComponents C, RandomStreams Rng) Build(TrainingOptions options, int seed = 3,
                                                                                               ILossSchedule? loss = null)
    {
        var rng = new RandomStreams(seed);
        var shape = new SampleShape(1, 8, 8);
        var c = new TrainingComponents(new BlobDataset(64), new PixelSpace(), new DiffusionGanProcess(new DiffusionOptions()),
            new TinyDenoiser(shape), new TinyDenoiser(shape), new TinyDiscriminator(shape), loss ?? new AdversarialLossSchedule());
        return (new DiffusionGanTrainer(c, options, rng, CPU), c, rng);
    }

    private static double DiscriminatorLoss(Discriminator d, Tensor real, Tensor fake, Tensor t, Tensor cond)
    {
        using var _ = no_grad();
        using var lossReal = nn.functional.softplus(-d.call(real, t, cond)).mean();
        using var lossFake = nn.functional.softplus(d.call(fake, t, cond)).mean();
        return lossReal.item<float>() + lossFake.item<float>();
    }

    [Test]
    public void TrainingStepsLowerTheDiscriminatorLossOnAFixedBatch()
    {
        var (trainer, c, _) = Build(new TrainingOptions { BatchSize = 16, LrD = 2e-3, LrG = 1e-6, R1Gamma = 0, EmaDecay = 0 });
        using var x0 = c.Dataset.GetBatch(Enumerable.Range(0, 16).Select(i => (long)i).ToArray());
        using var g = new Generator(11);
        using var t = randint(0, 4, [16], dtype: ScalarType.Int64, generator: g);
        var (real, cond) = c.Process.SamplePairs(x0, t, g);
        using var fakeX0 = torch.rand([16, 1, 8, 8], generator: g) * 2 - 1;
        using var fake = c.Process.SamplePosterior(fakeX0, cond, t, g);

        double before = DiscriminatorLoss(c.Discriminator, real, fake, t, cond);
        for (int i = 0; i < 10; i++) trainer.TrainStep(x0);
        double after = DiscriminatorLoss(c.Discriminator, real, fake, t, cond);
        Assert.That(after, Is.LessThan(before - 0.05), $"D loss before {before:F4}, after {after:F4}");
        Assert.That(trainer.GlobalStep, Is.EqualTo(10));
    }

    [TestCase(0.0, true)]
    [TestCase(1.0, false)]
    public void WithoutItsAdversarialWeightTheGeneratorIgnoresTheDiscriminator(double adversarialWeight, bool ignores)
    {
        // Two runs alike but for D's weights: with adversarial_weight 0 the generator learns the same (reconstruction only).
        var options = new TrainingOptions { BatchSize = 8, EmaDecay = 0, R1Gamma = 0, LrG = 1e-2 };
        var generators = new List<List<Tensor>>();
        foreach (double shift in new[] { 0.0, 0.3 })
        {
            torch.manual_seed(5);
            var (trainer, c, rng) = Build(options, loss: new WeightedLearningLossSchedule(6.0, adversarialWeight));
            using (no_grad())
                foreach (var p in c.Discriminator.parameters()) p.add_(shift);
            using var x0 = c.Dataset.GetBatch(Enumerable.Range(0, 8).Select(i => (long)i).ToArray());
            for (int i = 0; i < 3; i++) trainer.TrainStep(x0);
            generators.Add(c.Generator.parameters().Select(p => p.detach().clone()).ToList());
            trainer.Dispose();
            rng.Dispose();
        }
        bool same = generators[0].Zip(generators[1]).All(pair => pair.First.eq(pair.Second).all().item<bool>());
        Assert.That(same, Is.EqualTo(ignores));
    }

    [Test]
    public void EmaFollowsTheOfficialUpdateRule()
    {
        var (trainer, c, _) = Build(new TrainingOptions { BatchSize = 8, EmaDecay = 0.5, R1Gamma = 0 });
        using var x0 = c.Dataset.GetBatch(Enumerable.Range(0, 8).Select(i => (long)i).ToArray());
        trainer.TrainStep(x0);
        // After the first step the average equals the parameters (initialised from them).
        var p1 = c.Generator.parameters().Select(p => p.detach().clone()).ToList();
        var e1 = c.GeneratorEma!.parameters().Select(p => p.detach().clone()).ToList();
        for (int i = 0; i < p1.Count; i++) Assert.That(e1[i].allclose(p1[i]), Is.True);
        trainer.TrainStep(x0);
        var p2 = c.Generator.parameters().ToList();
        var e2 = c.GeneratorEma!.parameters().ToList();
        for (int i = 0; i < p2.Count; i++)
        {
            using var expected = e1[i] * 0.5 + p2[i].detach() * 0.5;
            Assert.That(e2[i].allclose(expected, rtol: 1e-6, atol: 1e-7), Is.True, $"parameter {i}");
        }
    }

    [Test]
    public void R1PenaltyIsAppliedOnlyEveryLazyRegSteps()
    {
        var (trainer, c, _) = Build(new TrainingOptions { BatchSize = 8, R1Gamma = 1.0, LazyReg = 3, EmaDecay = 0 });
        using var x0 = c.Dataset.GetBatch(Enumerable.Range(0, 8).Select(i => (long)i).ToArray());
        var r1 = Enumerable.Range(0, 6).Select(_ => trainer.TrainStep(x0).R1).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(double.IsNaN(r1[0]) || double.IsNaN(r1[3]), Is.False, "applied at steps 0 and 3");
            Assert.That(r1[0], Is.GreaterThanOrEqualTo(0));
            Assert.That(new[] { r1[1], r1[2], r1[4], r1[5] }.All(double.IsNaN), Is.True, "skipped elsewhere");
        });
    }

    [Test]
    public void CosineLearningRateMatchesCosineAnnealing()
    {
        Assert.Multiple(() =>
        {
            Assert.That(LearningRates.At(LrSchedule.Cosine, 1e-3, 1e-5, 0, 10), Is.EqualTo(1e-3).Within(1e-15));
            Assert.That(LearningRates.At(LrSchedule.Cosine, 1e-3, 1e-5, 5, 10), Is.EqualTo((1e-3 + 1e-5) / 2).Within(1e-15));
            Assert.That(LearningRates.At(LrSchedule.Cosine, 1e-3, 1e-5, 10, 10), Is.EqualTo(1e-5).Within(1e-15));
            Assert.That(LearningRates.At(LrSchedule.Constant, 1e-3, 1e-5, 7, 10), Is.EqualTo(1e-3));
            // cosine_steps: the same curve over optimiser steps, whatever the epoch; per-epoch schedules ignore the step
            Assert.That(LearningRates.AtStep(LrSchedule.CosineSteps, 1e-3, 1e-5, 0, 10, 50, 100), Is.EqualTo((1e-3 + 1e-5) / 2).Within(1e-15));
            Assert.That(LearningRates.AtStep(LrSchedule.CosineSteps, 1e-3, 1e-5, 0, 10, 100, 100), Is.EqualTo(1e-5).Within(1e-15));
            Assert.That(LearningRates.AtStep(LrSchedule.Cosine, 1e-3, 1e-5, 5, 10, 99, 100), Is.EqualTo((1e-3 + 1e-5) / 2).Within(1e-15));
            Assert.Throws<ArgumentException>(() => LearningRates.At(LrSchedule.CosineSteps, 1e-3, 1e-5, 0, 10));
        });
    }

    [Test]
    public void CosineStepsDecaysTheLearningRateWithinAnEpoch()
    {
        // 64 samples / batch 8 = 8 steps per epoch; 6 steps stay inside the first epoch, where the per-epoch cosine is flat.
        var (trainer, _, _) = Build(new TrainingOptions { BatchSize = 8, NumEpochs = 4, MaxSteps = 6, LrG = 1e-3, LrD = 2e-3,
                                                          LrMin = 0, LrSchedule = LrSchedule.CosineSteps, EmaDecay = 0, R1Gamma = 0 });
        var lrG = new List<double>();
        trainer.Run(_ => lrG.Add(trainer.CurrentLrG));
        var expected = Enumerable.Range(0, 6).Select(s => 1e-3 * (1 + Math.Cos(Math.PI * s / 6)) / 2).ToArray();
        Assert.That(lrG, Is.EqualTo(expected).Within(1e-12));
        Assert.That(trainer.OptimizerD.ParamGroups.First().LearningRate, Is.EqualTo(2e-3 * (1 + Math.Cos(Math.PI * 5 / 6)) / 2).Within(1e-12));
    }

    [Test]
    public void NonFiniteLossStopsTrainingWithTheStep()
    {
        var (trainer, c, _) = Build(new TrainingOptions { BatchSize = 8, EmaDecay = 0 });
        using var x0 = c.Dataset.GetBatch(Enumerable.Range(0, 8).Select(i => (long)i).ToArray());
        trainer.TrainStep(x0);
        using (no_grad()) c.Discriminator.parameters().First().fill_(double.NaN);
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.TrainStep(x0))!;
        Assert.That(e.Step, Is.EqualTo(2), "the second step, counted from 1 as the progress does");
        Assert.That(e.Message, Does.Contain("step 2"));
    }
}
