using LddGan.Abstractions;
using LddGan.Evaluation;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Tests.Evaluation;

/// <summary>The project's feature network and the LPIPS-style distance on it.</summary>
[NonParallelizable]
public sealed class FeatureDistanceTests
{
    [Test]
    public void TheNetworkHasThreeStagesAndA256DimensionalFeature()
    {
        torch.manual_seed(1);
        using var net = new FeatureNet();
        using var scope = NewDisposeScope();
        var x = rand(3, 1, 32, 32) * 2 - 1;
        var stages = net.Stages(x);
        Assert.That(stages.Select(s => s.shape), Is.EqualTo(new[] { new long[] { 3, 32, 32, 32 }, new long[] { 3, 64, 16, 16 }, new long[] { 3, 128, 8, 8 } }));
        Assert.That(net.Features(x).shape, Is.EqualTo(new long[] { 3, FeatureNet.FeatureDim }));
        Assert.That(net.call(x).shape, Is.EqualTo(new long[] { 3, 10 }));
        Assert.That(net.Logits(net.Features(x)).eq(net.call(x)).all().item<bool>(), Is.True, "Logits(Features(x)) is forward(x)");
        Assert.Throws<ArgumentException>(() => net.call(rand(1, 1, 28, 28)));
    }

    [Test]
    public void TheDistanceIsZeroOnIdenticalImagesSymmetricAndGrowsWithTheChange()
    {
        torch.manual_seed(2);
        using var distance = new FeatureDistance(new FeatureNet());
        using var scope = NewDisposeScope();
        var x = rand(4, 1, 32, 32) * 2 - 1;
        var small = (x + 0.05 * randn(4, 1, 32, 32)).clamp(-1, 1);
        var large = (x + 0.5 * randn(4, 1, 32, 32)).clamp(-1, 1);
        Assert.That(distance.call(x, x).abs().max().item<float>(), Is.LessThan(1e-6f));
        Assert.That(distance.call(x, large).allclose(distance.call(large, x), rtol: 1e-5, atol: 1e-6), Is.True);
        var dSmall = distance.call(x, small);
        var dLarge = distance.call(x, large);
        Assert.That(dSmall.shape, Is.EqualTo(new long[] { 4 }));
        Assert.That(dLarge.gt(dSmall).all().item<bool>(), Is.True, "a larger change is farther");
        Assert.That(distance.parameters().All(p => !p.requires_grad), Is.True, "frozen");
        // Gradients reach the images (the autoencoder learns through it).
        var y = large.detach().requires_grad_();
        distance.call(x, y).sum().backward();
        Assert.That(y.grad!.abs().sum().item<float>(), Is.GreaterThan(0));
    }

    [Test]
    public void TheFactoryLoadsSavedWeightsAndNamesAMissingFile()
    {
        string dir = Directory.CreateTempSubdirectory("lddgan-featnet-").FullName;
        try
        {
            string path = Path.Combine(dir, "net.bin");
            torch.manual_seed(3);
            using (var net = new FeatureNet()) net.save(path);
            var factory = new FeatureDistanceFactory();
            var context = new ComponentContext(new SampleShape(1, 32, 32), new SampleShape(1, 32, 32), 0, CPU);
            using var loaded = factory.Create(new FeatureDistanceOptions { Weights = path }, context);
            using var scope = NewDisposeScope();
            Assert.That(loaded.call(zeros(1, 1, 32, 32), ones(1, 1, 32, 32)).item<float>(), Is.GreaterThan(0));
            var e = Assert.Throws<FileNotFoundException>(() => factory.Create(new FeatureDistanceOptions { Weights = Path.Combine(dir, "none.bin") }, context));
            Assert.That(e!.Message, Does.Contain("fashion-mnist-feature-net.csx"));
            Assert.Throws<ArgumentException>(() => factory.Create(new FeatureDistanceOptions { Weights = path },
                context with { DataShape = new SampleShape(3, 32, 32) }));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
