using LddGan.Abstractions;
using LddGan.Layers;
using LddGan.Plugins.Ddgan;
using LddGan.Plugins.Wddgan;
using NUnit.Framework;
using TorchSharp;
using static LddGan.Tests.Networks.NetworkTestHelpers;
using static TorchSharp.torch;

namespace LddGan.Tests.Wavelets;

/// <summary>The Haar transform and WDDGAN's wavelet latent space (reference-models §6.1, §6.3).</summary>
public sealed class HaarWaveletTests
{
    [Test]
    public void BandsOfOneBlockFollowTheReferenceFormulas()
    {
        using var scope = NewDisposeScope();
        // [[a, b], [c, d]] = [[1, 2], [3, 4]]
        var x = tensor(new float[] { 1, 2, 3, 4 }, [1, 1, 2, 2]);
        var pw = HaarWavelet.Forward(x, HaarBandOrder.PytorchWavelets).flatten().data<float>().ToArray();
        var wc = HaarWavelet.Forward(x, HaarBandOrder.WaveCnet).flatten().data<float>().ToArray();
        // LL = (a+b+c+d)/2 = 5; (a+b−c−d)/2 = −2; (a−b+c−d)/2 = −1; HH = (a−b−c+d)/2 = 0
        Assert.That(pw, Is.EqualTo(new float[] { 5, -2, -1, 0 }), "pytorch_wavelets: LL, (a+b−c−d)/2, (a−b+c−d)/2, HH");
        Assert.That(wc, Is.EqualTo(new float[] { 5, -1, -2, 0 }), "WaveCNet: LL, LH, HL, HH — the middle bands swapped");
    }

    [TestCase(HaarBandOrder.PytorchWavelets)]
    [TestCase(HaarBandOrder.WaveCnet)]
    public void TheInverseRecoversTheInputToFloat32Rounding(HaarBandOrder order)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(5);
        var x = rand([4, 3, 32, 32], generator: generator) * 2 - 1;
        var error = (HaarWavelet.Inverse(HaarWavelet.Forward(x, order), order) - x).abs().max().item<float>();
        TestContext.Out.WriteLine($"max |IDWT(DWT(x)) − x| ({order}) = {error:E2}");
        Assert.That(error, Is.LessThan(1e-6f));
        Assert.That(HaarWavelet.Forward(x, order).shape, Is.EqualTo(new long[] { 4, 12, 16, 16 }));
    }

    [Test]
    public void TheLatentSpaceHalvesTheBandsAndDecodesWithAClamp()
    {
        using var scope = NewDisposeScope();
        var space = new HaarWaveletSpace(new HaarWaveletOptions());
        Assert.That(space.LatentShape(new SampleShape(1, 32, 32)), Is.EqualTo(new SampleShape(4, 16, 16)));
        var x = rand([2, 1, 32, 32], generator: new Generator(9)) * 2 - 1;
        var latent = space.Encode(x);
        Assert.That(latent.abs().max().item<float>(), Is.LessThanOrEqualTo(1f), "every band in [−1, 1] after the division by 2");
        Assert.That((space.Decode(latent) - x).abs().max().item<float>(), Is.LessThan(1e-6f));
        Assert.That(space.Decode(latent * 10).abs().max().item<float>(), Is.LessThanOrEqualTo(1f), "decoding clamps");
        Assert.Throws<ArgumentException>(() => space.LatentShape(new SampleShape(1, 31, 32)));
        Assert.That(new HaarWaveletOptions { BandOrder = "db2" }.Validate().Single(), Does.Contain("band_order"));
    }

    [Test]
    public void PlainNcsnppOnWaveletInputHasThePublishedCifar10Size()
    {
        // WDDGAN's published CIFAR-10 model (33.37M) is the plain NCSN++ on 12×16×16 (reference-models §6.3).
        var options = new NcsnppOptions { ChMult = [1, 2, 2], AttnResolutions = [32] };
        using var g = OnMeta(() => new NcsnppGenerator(options, channels: 12, imageSize: 16));
        Assert.That(CountParameters(g), Is.EqualTo(33_370_124L));
        Assert.That(CountUnder(g, "z_transform"), Is.EqualTo(289_024L));
    }
}
