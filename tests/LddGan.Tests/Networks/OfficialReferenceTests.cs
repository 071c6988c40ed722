using LddGan.Layers;
using LddGan.Plugins.Ddgan;
using NUnit.Framework;
using TorchSharp;
using static LddGan.Tests.Networks.NetworkTestHelpers;
using static TorchSharp.torch;

namespace LddGan.Tests.Networks;

/// <summary>
/// Numbers produced by the official PyTorch code (Reference/make_reference_values.py, PyTorch 1.13 on CPU). The networks
/// get the same deterministic weights on both sides (filled by sorted state-dict key), so matching outputs check the
/// key names, the module order and the forward computation together.
/// </summary>
public sealed class OfficialReferenceTests
{
    private static NcsnppOptions ReferenceGenerator() => new()
    {
        Nf = 16, ChMult = [1, 2, 2], NumResBlocks = 1, AttnResolutions = [8], Dropout = 0, Nz = 8, ZEmbDim = 16, NMlp = 2,
        NotUseTanh = true,
    };

    private static (Tensor X, Tensor T, Tensor Z) GeneratorInputs() => (
        Pattern([2, 2, 16, 16], j => 0.8 * Math.Sin(0.05 * j)),
        tensor(new long[] { 0, 3 }),
        Pattern([2, 8], j => Math.Cos(0.3 * j)));

    private static void AssertSummary(Tensor output, double sum, double sumSq, double projection, Dictionary<int, double> picks)
    {
        var (s, s2, proj) = Summary(output);
        Assert.Multiple(() =>
        {
            Assert.That(s, Is.EqualTo(sum).Within(1e-4).Percent.Or.EqualTo(sum).Within(1e-5), "sum");
            Assert.That(s2, Is.EqualTo(sumSq).Within(1e-4).Percent, "sum of squares");
            Assert.That(proj, Is.EqualTo(projection).Within(1e-4).Percent.Or.EqualTo(projection).Within(1e-5), "projection");
            var values = Values(output);
            foreach (var (index, expected) in picks)
                Assert.That(values[index], Is.EqualTo(expected).Within(2e-6), $"element {index}");
        });
    }

    [Test]
    public void GeneratorWithResidualInputPyramidMatchesOfficialOutput()
    {
        using var g = new NcsnppGenerator(ReferenceGenerator(), channels: 2, imageSize: 16);
        Assert.That(FillDeterministically(g), Is.EqualTo(222));
        Assert.That(CountParameters(g), Is.EqualTo(354_274L));
        Assert.That(CountUnder(g, "all_modules.24"), Is.GreaterThan(0));
        Assert.That(CountUnder(g, "all_modules.25"), Is.Zero, "25 entries in all_modules");
        var (x, t, z) = GeneratorInputs();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        AssertSummary(g.call(x, t, z), 55.3964368, 4.86408182, 27.406752, new()
        {
            [0] = 0.0901669115, [17] = 0.0902255848, [100] = 0.136715963, [511] = 0.0351675339, [777] = 0.0265142228, [1023] = 0.0661691204,
        });
    }

    [Test]
    public void GeneratorVariantMatchesOfficialOutput()
    {
        // input_skip + cat combine, naive (non-FIR) resampling, no skip rescaling, inputs in [0, 1], no time conditioning, tanh.
        var options = ReferenceGenerator() with
        {
            ProgressiveInput = "input_skip", ProgressiveCombine = "cat", Fir = false, SkipRescale = false,
            Centered = false, Conditional = false, NotUseTanh = false,
        };
        using var g = new NcsnppGenerator(options, 2, 16);
        Assert.That(FillDeterministically(g), Is.EqualTo(218));
        Assert.That(CountParameters(g), Is.EqualTo(378_210L));
        Assert.That(CountUnder(g, "all_modules.22"), Is.GreaterThan(0));
        Assert.That(CountUnder(g, "all_modules.23"), Is.Zero, "23 entries in all_modules");
        var (x, t, z) = GeneratorInputs();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        AssertSummary(g.call(x, t, z), 71.3109382, 6.41721013, -7.3141968, new()
        {
            [0] = 0.0570726506, [17] = 0.0293086618, [100] = 0.0147623606, [511] = 0.104423352, [777] = 0.0742173418, [1023] = 0.110261321,
        });
    }

    [Test]
    public void SmallDiscriminatorMatchesOfficialLogits()
    {
        using var d = new SmallDiscriminator(new SmallDiscriminatorOptions { Ngf = 8, TEmbDim = 16 }, nc: 4);
        Assert.That(FillDeterministically(d), Is.EqualTo(38));
        // In float64: the minibatch-stddev feature of these nearly equal samples amplifies float32 rounding about a
        // thousandfold, and float32 rounding depends on the CPU's convolution kernels (oneDNN picks AVX2 or AVX-512
        // code); in float64 the logits match the official ones to about 1e-7 on either.
        ModuleExtensionMethods.to(d, ScalarType.Float64);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = Pattern([8, 2, 16, 16], j => 0.7 * Math.Sin(0.031 * j + 0.2)).to(ScalarType.Float64);
        var xc = Pattern([8, 2, 16, 16], j => 0.6 * Math.Cos(0.017 * j)).to(ScalarType.Float64);
        var t = tensor(new long[] { 0, 1, 2, 3, 3, 2, 1, 0 });
        var logits = d.call(x, t, xc);
        Assert.That(logits.shape, Is.EqualTo(new long[] { 8, 1 }));
        double[] expected = [0.582098603, 0.574573576, 0.578873575, 0.580706894, 0.584457338, 0.58844465, 0.580297649, 0.580982983];
        Assert.That(Values(logits).Select(v => (double)v), Is.EqualTo(expected).Within(2e-6));
    }

    [Test]
    public void LargeDiscriminatorMatchesOfficialLogits()
    {
        using var d = new LargeDiscriminator(new LargeDiscriminatorOptions { Ngf = 4, TEmbDim = 16 }, nc: 4);
        Assert.That(FillDeterministically(d), Is.EqualTo(52));
        // In float64: the minibatch-stddev feature of these nearly equal samples amplifies float32 rounding about a
        // thousandfold, and float32 rounding depends on the CPU's convolution kernels (oneDNN picks AVX2 or AVX-512
        // code); in float64 the logits match the official ones to about 1e-7 on either.
        ModuleExtensionMethods.to(d, ScalarType.Float64);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = Pattern([4, 2, 64, 64], j => 0.7 * Math.Sin(0.013 * j + 0.2)).to(ScalarType.Float64);
        var xc = Pattern([4, 2, 64, 64], j => 0.6 * Math.Cos(0.007 * j)).to(ScalarType.Float64);
        var logits = d.call(x, tensor(new long[] { 1, 0, 3, 2 }), xc);
        double[] expected = [0.171352118, 0.171468079, 0.171415046, 0.171398759];
        Assert.That(Values(logits).Select(v => (double)v), Is.EqualTo(expected).Within(1e-6));
    }

    private static Tensor FirInput() => Pattern([1, 1, 4, 4], j => Math.Sin(0.9 * j) + 0.1 * j);

    [TestCase(new double[] { 1, 3, 3, 1 }, new[] { 0.282430142, 0.488414377, 0.699844539, 0.945410132 })]
    [TestCase(new double[] { 1, 2, 3, 4 }, new[] { 0.162436336, 0.365401, 0.311108559, 0.571443915 })]
    public void FirDownsampleMatchesUpfirdn2d(double[] kernel, double[] expected)
    {
        using var scope = NewDisposeScope();
        var y = new FirFilter(kernel).Downsample2d(FirInput());
        Assert.That(y.shape, Is.EqualTo(new long[] { 1, 1, 2, 2 }));
        Assert.That(Values(y).Select(v => (double)v), Is.EqualTo(expected).Within(1e-6));
    }

    [Test]
    public void FirUpsampleAndBlurMatchUpfirdn2d()
    {
        using var scope = NewDisposeScope();
        var symmetric = new FirFilter([1, 3, 3, 1]);
        var skewed = new FirFilter([1, 2, 3, 4]);
        var x = FirInput();
        var up = symmetric.Upsample2d(x);
        Assert.That(up.shape, Is.EqualTo(new long[] { 1, 1, 8, 8 }));
        AssertSummary(up, 44.7680159, 46.487181, 27.9040526, new() { [0] = 0, [17] = -0.0582467169 });
        AssertSummary(skewed.Upsample2d(x), 36.8727827, 35.82767, 23.3608119, new() { [0] = 0, [17] = 0.0929249749 });
        var blur = symmetric.Blur(x);
        Assert.That(blur.shape, Is.EqualTo(new long[] { 1, 1, 5, 5 }));
        AssertSummary(blur, 11.1920041, 6.47487809, 4.77821129, new() { [0] = 0.0319513902, [17] = 0.941924691 });
        AssertSummary(skewed.Blur(x), 9.21819586, 4.9444418, 4.07434238, new() { [0] = 0.0120408265, [17] = 0.567502499 });
    }

    [Test]
    public void SinusoidalEmbeddingMatchesGetTimestepEmbedding()
    {
        using var scope = NewDisposeScope();
        double[] even =
        [
            0, 0, 0, 0, 1, 1, 1, 1,
            0.841470957, 0.0463992245, 0.00215443317, 9.99999902e-05, 0.540302336, 0.998922944, 0.999997675, 1,
            0.141120002, 0.138798088, 0.00646325899, 0.000299999956, -0.989992499, 0.990320683, 0.999979138, 0.99999994,
        ];
        var e8 = SinusoidalEmbedding.Compute(tensor(new long[] { 0, 1, 3 }), 8);
        Assert.That(e8.shape, Is.EqualTo(new long[] { 3, 8 }));
        Assert.That(Values(e8).Select(v => (double)v), Is.EqualTo(even).Within(1e-6));
        double[] odd = [0.909297407, 0.0199986659, 0.00019999998, -0.416146845, 0.999800026, 1, 0];
        Assert.That(Values(SinusoidalEmbedding.Compute(tensor(new long[] { 2 }), 7)).Select(v => (double)v), Is.EqualTo(odd).Within(1e-6));
    }
}
