using LddGan.Evaluation;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Evaluation.Inception;

/// <summary>The extractor's surface and pytorch-fid's input pipeline (the full numbers are checked in <see cref="InceptionParityTests"/>).</summary>
[NonParallelizable]
public sealed class InceptionPreprocessTests
{
    [Test]
    public void TheExtractorIsNamedInceptionWith2048Features()
    {
        using var net = Networks.NetworkTestHelpers.OnMeta(() => new FidInceptionV3());
        Assert.That(net.Name, Is.EqualTo("inception"));
        Assert.That(net.Dim, Is.EqualTo(2048));
        Assert.That(net.parameters().All(p => !p.requires_grad), Is.True, "a frozen evaluation network");
    }

    [Test]
    public void GreyImagesAreRepeatedToThreeChannelsAndResizedTo299()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var grey = rand(2, 1, 28, 28, dtype: ScalarType.Float64) * 2 - 1;
        var x = FidInceptionV3.Preprocess(grey);
        Assert.That(x.shape, Is.EqualTo(new long[] { 2, 3, 299, 299 }));
        Assert.That(x.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(x.eq(FidInceptionV3.Preprocess(grey.repeat(1, 3, 1, 1))).all().item<bool>(), Is.True);
        Assert.That(x[.., 0].eq(x[.., 2]).all().item<bool>(), Is.True);
        Assert.That(x.min().item<float>(), Is.GreaterThanOrEqualTo(-1f));
        Assert.That(x.max().item<float>(), Is.LessThanOrEqualTo(1f));
        // Bilinear upsampling keeps the image's mean brightness closely (28 → 299 is not an integer factor).
        Assert.That(x.mean().item<float>(), Is.EqualTo(grey.mean().item<double>()).Within(0.02));
    }

    [Test]
    public void A299ImagePassesUnchanged()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var rgb = rand(1, 3, 299, 299) * 2 - 1;
        Assert.That(FidInceptionV3.Preprocess(rgb).allclose(rgb, rtol: 0, atol: 1e-6), Is.True);
    }

    [Test]
    public void WrongShapesAreRejectedWithTheExpectedLayout()
    {
        using var scope = NewDisposeScope();
        var twoChannels = Assert.Throws<ArgumentException>(() => FidInceptionV3.Preprocess(zeros(1, 2, 32, 32)))!;
        Assert.That(twoChannels.Message, Does.Contain("(B, 1 or 3, H, W) in [-1, 1]").And.Contain("(1, 2, 32, 32)"));
        Assert.Throws<ArgumentException>(() => FidInceptionV3.Preprocess(zeros(3, 32, 32)));
        using var net = new FidInceptionV3();
        Assert.Throws<ArgumentException>(() => net.call(zeros(1, 1, 75, 75)));
    }

    [Test]
    public void BatchNormKeepsRunningStatisticsAfterTrain()
    {
        using var net = new FidInceptionV3();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(5);
        var x = rand(2, 3, 75, 75) * 2 - 1;  // 75 is the smallest input that survives every stride
        var before = net.call(x);
        net.train();
        Assert.That(net.call(x).eq(before).all().item<bool>(), Is.True);
        Assert.That(before.shape, Is.EqualTo(new long[] { 2, 2048 }));
    }
}
