using LddGan.Evaluation.Benchmarks;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Evaluation;

/// <summary>The FLOP counter against hand-computed multiply-add counts.</summary>
public sealed class FlopCounterTests
{
    [Test]
    public void ConvTransposedConvAndLinearCountsMatchTheHandComputation()
    {
        using var net = nn.Sequential(
            ("conv", nn.Conv2d(1, 2, 3, padding: 1)),            // (2,1,4,4) → (2,2,4,4)
            ("act", nn.ReLU()),
            ("up", nn.ConvTranspose2d(2, 3, 2, stride: 2)),       // → (2,3,8,8)
            ("flat", nn.Flatten()),
            ("fc", nn.Linear(3 * 8 * 8, 5)));                     // → (2,5)
        using var scope = NewDisposeScope();
        var x = randn(2, 1, 4, 4);
        var expectedOutput = net.call(x);
        using var counter = new FlopCounter(net);
        Assert.That(counter.HookedLayers, Is.EqualTo(3));
        var output = net.call(x);
        // conv: 2·2·4·4 = 64 outputs × (1 in · 3·3) = 576; transposed: 2·2·4·4 = 64 inputs × (3 out · 2·2) = 768;
        // linear: 2 rows × 192 × 5 = 1,920. Total 3,264 multiply-adds, 6,528 FLOPs.
        var count = counter.Snapshot();
        Assert.That(count.ByLayerType, Is.EquivalentTo(new Dictionary<string, long> { ["Conv2d"] = 576, ["ConvTranspose2d"] = 768, ["Linear"] = 1920 }));
        Assert.That(count.MultiplyAdds, Is.EqualTo(3264));
        Assert.That(count.Flops, Is.EqualTo(6528));
        Assert.That(output.eq(expectedOutput).all().item<bool>(), Is.True, "the hooks leave outputs alone");
    }

    [Test]
    public void GroupsStridesAndBatchSizeAreCounted()
    {
        using var grouped = nn.Conv2d(4, 4, 3, padding: 1, groups: 2);   // 4·5·5 = 100 outputs × (2 · 9) = 1,800 per sample
        using var strided = nn.Conv2d(1, 2, 3, stride: 2, padding: 1);   // (1,1,4,4) → (1,2,2,2): 8 outputs × 9 = 72 per sample
        using var scope = NewDisposeScope();
        Assert.That(FlopCounter.Measure([grouped], () => grouped.call(randn(1, 4, 5, 5))).MultiplyAdds, Is.EqualTo(1800));
        Assert.That(FlopCounter.Measure([grouped], () => grouped.call(randn(3, 4, 5, 5))).MultiplyAdds, Is.EqualTo(3 * 1800));
        Assert.That(FlopCounter.Measure([strided], () => strided.call(randn(1, 1, 4, 4))).MultiplyAdds, Is.EqualTo(72));
    }

    [Test]
    public void DisposingRemovesTheHooksAndRepeatedCallsAccumulate()
    {
        using var fc = nn.Linear(4, 3);   // 4 × 3 = 12 per row
        using var scope = NewDisposeScope();
        var counter = new FlopCounter(fc, fc);   // the same module twice is hooked once
        fc.call(randn(2, 4));
        fc.call(randn(5, 4));
        Assert.That(counter.MultiplyAdds, Is.EqualTo(7 * 12));
        counter.Reset();
        Assert.That(counter.MultiplyAdds, Is.Zero);
        counter.Dispose();
        fc.call(randn(2, 4));
        Assert.That(counter.MultiplyAdds, Is.Zero, "no hook after Dispose");
        Assert.That(FlopCounter.Measure([fc], () => fc.call(randn(1, 4))).MultiplyAdds, Is.EqualTo(12));
    }
}
