using LddGan.Abstractions;
using LddGan.Engine.Diffusion;
using LddGan.Engine.Latent;
using LddGan.Engine.Losses;
using LddGan.Engine.Runtime;
using LddGan.Engine.Training;
using LddGan.Tests.Support;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Training;

/// <summary>A step's losses stay on the device until read, so a GPU is not made to wait at every step.</summary>
public sealed class PendingStepLossesTests
{
    private static (DiffusionGanTrainer Trainer, TrainingComponents C) Build()
    {
        manual_seed(4);   // module initialisation
        var shape = new SampleShape(1, 8, 8);
        var c = new TrainingComponents(new BlobDataset(64), new PixelSpace(), new DiffusionGanProcess(new DiffusionOptions()),
            new TinyDenoiser(shape), new TinyDenoiser(shape), new TinyDiscriminator(shape), new AdversarialLossSchedule());
        return (new DiffusionGanTrainer(c, new TrainingOptions { BatchSize = 8, LazyReg = 2 }, new RandomStreams(4), CPU), c);
    }

    [Test]
    public void DeferredAndImmediateReadsGiveTheSameLosses()
    {
        var (immediate, c1) = Build();
        var (deferred, c2) = Build();
        using var x1 = c1.Dataset.GetBatch(Enumerable.Range(0, 8).Select(i => (long)i).ToArray());
        using var x2 = c2.Dataset.GetBatch(Enumerable.Range(0, 8).Select(i => (long)i).ToArray());
        for (int step = 0; step < 4; step++)
        {
            var read = immediate.TrainStep(x1);
            using var pending = deferred.Step(x2);
            Assert.That(pending.IsRead, Is.False, "nothing waits for the device until the losses are asked for");
            Assert.That(pending.Step, Is.EqualTo(step));
            Assert.That(pending.Read(), Is.EqualTo(read));
            Assert.That(double.IsNaN(read.R1), Is.EqualTo(step % 2 == 1), "R1 only on lazy_reg steps");
        }
    }

    [Test]
    public void LossesReleasedUnreadCannotBeReadLater()
    {
        var (trainer, c) = Build();
        using var x = c.Dataset.GetBatch(Enumerable.Range(0, 8).Select(i => (long)i).ToArray());
        var unread = trainer.Step(x);
        unread.Dispose();
        Assert.Throws<InvalidOperationException>(() => unread.Read());
        var kept = trainer.Step(x);
        var value = kept.Read();
        kept.Dispose();
        Assert.That(kept.Read(), Is.EqualTo(value), "values read once stay readable");
    }
}
