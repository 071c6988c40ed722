using LddGan.Layers;
using LddGan.Plugins.Wddgan;
using NUnit.Framework;
using TorchSharp;
using static LddGan.Tests.Networks.NetworkTestHelpers;
using static TorchSharp.torch;

namespace LddGan.Tests.Wavelets;

/// <summary>
/// WDDGAN's wavelet-embedded generator (reference-models §6.4): published sizes, official keys, and outputs of the official
/// WaveDiff code (Networks/Reference/make_wddgan_reference_values.py) with the same deterministic weights.
/// </summary>
[NonParallelizable]
public sealed class WaveletNcsnppTests
{
    private static WaveletNcsnppOptions Reference(Func<WaveletNcsnppOptions, WaveletNcsnppOptions>? change = null)
    {
        var o = new WaveletNcsnppOptions
        {
            Nf = 16, ChMult = [1, 2, 2], NumResBlocks = 1, AttnResolutions = [8], Dropout = 0, Nz = 8, ZEmbDim = 16, NMlp = 2,
            NotUseTanh = true,
        };
        return change is null ? o : change(o);
    }

    [TestCase(12, 128, 64, new[] { 1, 2, 2, 2, 4 }, 16, 3, 31_485_452L, TestName = "CelebA-HQ 256 / LSUN configuration: 31,485,452")]
    [TestCase(12, 16, 128, new[] { 1, 2, 2 }, 32, 4, 36_952_076L, TestName = "CIFAR-10 configuration with net_type wavelet: 36,952,076")]
    [TestCase(12, 32, 128, new[] { 1, 2, 2, 2 }, 16, 4, 55_585_292L, TestName = "STL-10 configuration: 55,585,292")]
    [TestCase(12, 256, 64, new[] { 1, 1, 2, 2, 4, 4 }, 16, 3, 44_853_004L, TestName = "CelebA-HQ 512 configuration: 44,853,004")]
    public void PublishedConfigurationsHaveTheReferenceParameterCounts(int channels, int size, int nf, int[] chMult, int attn, int nMlp, long expected)
    {
        var options = new WaveletNcsnppOptions { Nf = nf, ChMult = chMult, AttnResolutions = [attn], NMlp = nMlp, Nz = 100 };
        using var g = OnMeta(() => new WaveletNcsnppGenerator(options, channels, size));
        var count = CountParameters(g);
        TestContext.Out.WriteLine($"WaveletNCSNpp {size}x{size}x{channels}, nf {nf}, ch_mult [{string.Join(", ", chMult)}]: {count:N0}");
        Assert.That(count, Is.EqualTo(expected));
    }

    [Test]
    public void FrequencyAwareUpBlockHasTheGroupedHighBandConvolution()
    {
        // reference-models §6.4: out = hi_in = 256 → convH_0 adds 27·256·256 + 3·256 = 1,770,240; the block totals 3,410,688.
        using var block = OnMeta(() => new WaveletResnetBlockBigGANppAdagn(256, null, 512, 256, Resampling.Up, highInChannels: 256));
        Assert.That(CountParameters(block), Is.EqualTo(3_410_688L));
        var shapes = Shapes(block);
        Assert.That(shapes["convH_0.weight"], Is.EqualTo(new long[] { 768, 256, 3, 3 }));
        Assert.That(shapes["convH_0.bias"], Is.EqualTo(new long[] { 768 }));
        using var down = OnMeta(() => new WaveletResnetBlockBigGANppAdagn(256, null, 512, 256, Resampling.Down));
        Assert.That(Shapes(down).Keys, Has.None.StartsWith("convH_0"));
        Assert.Throws<ArgumentException>(() => new WaveletResnetBlockBigGANppAdagn(8, null, 16, 16, Resampling.Up));
        Assert.Throws<ArgumentException>(() => new WaveletResnetBlockBigGANppAdagn(8, null, 16, 16, Resampling.None));
    }

    [Test]
    public void StateDictUsesTheOfficialKeys()
    {
        using var g = OnMeta(() => new WaveletNcsnppGenerator(Reference(), 2, 16));
        var shapes = Shapes(g);
        // all_modules: 0–1 time MLP, 2 conv_in, 3 block (16 px, no attention), 4 down block, 5 wavelet input pyramid, …
        Assert.That(shapes["all_modules.5.weight"], Is.EqualTo(new long[] { 16, 8, 3, 3 }), "WaveletDownsample: weight on the module, 4·in channels");
        Assert.That(shapes["all_modules.5.bias"], Is.EqualTo(new long[] { 16 }));
        var convH = shapes.Where(kv => kv.Key.EndsWith(".convH_0.weight", StringComparison.Ordinal)).Select(kv => kv.Value).ToList();
        Assert.That(convH, Has.Count.EqualTo(2), "one grouped high-band conv per up block");
        Assert.That(convH, Has.Some.EqualTo(new long[] { 96, 16, 3, 3 }).And.Some.EqualTo(new long[] { 96, 32, 3, 3 }));
        Assert.That(shapes.Keys.All(k => k.StartsWith("all_modules.", StringComparison.Ordinal) || k.StartsWith("z_transform.", StringComparison.Ordinal)),
            Is.True, "every parameter lives under all_modules or z_transform");
    }

    [Test]
    public void InternalTransformMatchesWaveCnetsBandOrder()
    {
        // DWT_2D('haar') of the 4×4 pattern, printed by make_wddgan_reference_values.py.
        using var scope = NewDisposeScope();
        var x = Pattern([1, 1, 4, 4], j => Math.Sin(0.9 * j) + 0.1 * j);
        var (ll, lh, hl, hh) = HaarWavelet.Bands(x);
        Assert.Multiple(() =>
        {
            Assert.That(Values(ll), Is.EqualTo(new[] { 0.181638166f, 1.22263837f, 2.1103189f, 2.8959949f }).Within(1e-6f), "LL");
            Assert.That(Values(lh), Is.EqualTo(new[] { -0.2241586f, -0.221555293f, -0.297587395f, -0.0502536297f }).Within(1e-6f), "LH");
            Assert.That(Values(hl), Is.EqualTo(new[] { 0.701688707f, 0.678589046f, 1.35323858f, -0.841412425f }).Within(1e-6f), "HL");
            Assert.That(Values(hh), Is.EqualTo(new[] { -0.659168303f, 0.66802305f, 0.0213653445f, 0.819907784f }).Within(1e-6f), "HH");
        });
    }

    private static void AssertMatchesOfficial(WaveletNcsnppOptions options, int keys, long parameters, int allModules,
                                              double sum, double sumSq, double projection, Dictionary<int, double> picks)
    {
        using var g = new WaveletNcsnppGenerator(options, channels: 2, imageSize: 16);
        Assert.That(FillDeterministically(g), Is.EqualTo(keys));
        Assert.That(CountParameters(g), Is.EqualTo(parameters));
        Assert.That(CountUnder(g, $"all_modules.{allModules - 1}"), Is.GreaterThan(0));
        Assert.That(CountUnder(g, $"all_modules.{allModules}"), Is.Zero, $"{allModules} entries in all_modules");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = Pattern([2, 2, 16, 16], j => 0.8 * Math.Sin(0.05 * j));
        var output = g.call(x, tensor(new long[] { 0, 3 }), Pattern([2, 8], j => Math.Cos(0.3 * j)));
        var (s, s2, proj) = Summary(output);
        var values = Values(output);
        Assert.Multiple(() =>
        {
            Assert.That(s, Is.EqualTo(sum).Within(1e-4).Percent.Or.EqualTo(sum).Within(1e-5), "sum");
            Assert.That(s2, Is.EqualTo(sumSq).Within(1e-4).Percent, "sum of squares");
            // float32 rounding through ~25 blocks and 8 transforms: the projection (which cancels) agrees to ~1e-5 absolute.
            Assert.That(proj, Is.EqualTo(projection).Within(1e-4).Percent.Or.EqualTo(projection).Within(5e-5), "projection");
            foreach (var (index, expected) in picks)
                Assert.That(values[index], Is.EqualTo(expected).Within(2e-6), $"element {index}");
        });
    }

    [Test]
    public void WaveletGeneratorMatchesOfficialOutput() => AssertMatchesOfficial(
        Reference(), 226, 410_626L, 25, -7.07647856, 1.36723368, -3.50962265, new()
        {
            [0] = -0.00890074391, [17] = -0.0650706068, [100] = 0.0108108968, [511] = 0.00776593387, [777] = 0.07045196, [1023] = 0.00321536395,
        });

    [Test]
    public void AblatedWaveletGeneratorMatchesOfficialOutput() =>
        // no_use_fbn, no_use_freq and no_use_residual together give back the plain NCSN++ (same numbers as DDGAN's reference).
        AssertMatchesOfficial(
            Reference(o => o with { NoUseFbn = true, NoUseFreq = true, NoUseResidual = true }), 222, 354_274L, 25,
            55.3964368, 4.86408182, 27.406752, new()
            {
                [0] = 0.0901669115, [17] = 0.0902255848, [100] = 0.136715963, [511] = 0.0351675339, [777] = 0.0265142228, [1023] = 0.0661691204,
            });

    [Test]
    public void WaveletGeneratorVariantMatchesOfficialOutput() =>
        // No skip rescaling, inputs in [0, 1], no time conditioning, tanh output.
        AssertMatchesOfficial(
            Reference(o => o with { SkipRescale = false, Centered = false, Conditional = false, NotUseTanh = false }), 222, 405_378L, 23,
            -96.0677483, 9.3271886, -16.5729783, new()
            {
                [0] = -0.110688142, [17] = -0.105778351, [100] = -0.115203664, [511] = -0.102916785, [777] = -0.131277189, [1023] = -0.0863917172,
            });

    [Test]
    public void GradientsReachTheWaveletPaths()
    {
        torch.manual_seed(3);
        using var g = new WaveletNcsnppGenerator(Reference(o => o with { NotUseTanh = false }), 2, 16);
        using var scope = NewDisposeScope();
        var y = g.call(randn(2, 2, 16, 16), tensor(new long[] { 1, 2 }), randn(2, 8));
        Assert.That(y.shape, Is.EqualTo(new long[] { 2, 2, 16, 16 }));
        Assert.That(y.abs().max().item<float>(), Is.LessThanOrEqualTo(1f));
        y.square().sum().backward();
        foreach (var (name, p) in g.named_parameters().Where(p => p.name.Contains("convH_0") || p.name == "all_modules.5.weight"))
            Assert.That(p.grad is not null && p.grad.abs().sum().item<float>() > 0, Is.True, $"no gradient reaches {name}");
    }

    [Test]
    public void OptionsAndShapesAreValidated()
    {
        Assert.That(string.Join("\n", new WaveletNcsnppOptions { ResblockType = "ddpm" }.Validate()), Does.Contain("resblock_type"));
        var e = Assert.Throws<ArgumentException>(() => new WaveletNcsnppGenerator(new WaveletNcsnppOptions { Nf = 0 }, 12, 16));
        Assert.That(e!.Message, Does.StartWith("invalid wavelet-ncsnpp options"));
        // Three levels and the bottleneck halve 16 → 8 → 4 → 2; 12 does not survive that.
        e = Assert.Throws<ArgumentException>(() => new WaveletNcsnppGenerator(Reference(), 2, 12));
        Assert.That(e!.Message, Does.Contain("frequency bottleneck"));
        Assert.DoesNotThrow(() => new WaveletNcsnppGenerator(Reference(o => o with { NoUseFbn = true }), 2, 12).Dispose());
    }
}
