using LddGan.Layers;
using NUnit.Framework;
using TorchSharp;
using static LddGan.Tests.Networks.NetworkTestHelpers;
using static TorchSharp.torch;

namespace LddGan.Tests.Networks;

public sealed class LayerTests
{
    [SetUp]
    public void Seed() => torch.manual_seed(11);

    [Test]
    public void FirResamplingKeepsAConstantImageInTheInterior()
    {
        using var scope = NewDisposeScope();
        var fir = new FirFilter();
        var constant = full(new long[] { 2, 3, 8, 8 }, 0.7f);
        var down = fir.Downsample2d(constant);
        var up = fir.Upsample2d(constant);
        var blur = fir.Blur(constant);
        Assert.That(down.shape, Is.EqualTo(new long[] { 2, 3, 4, 4 }));
        Assert.That(up.shape, Is.EqualTo(new long[] { 2, 3, 16, 16 }));
        Assert.That(blur.shape, Is.EqualTo(new long[] { 2, 3, 9, 9 }));
        var interior = TensorIndex.Slice(1, -1);
        Assert.That(down[.., .., interior, interior].allclose(full(new long[] { 2, 3, 2, 2 }, 0.7f), atol: 1e-6), Is.True);
        Assert.That(up[.., .., TensorIndex.Slice(2, -2), TensorIndex.Slice(2, -2)].allclose(full(new long[] { 2, 3, 12, 12 }, 0.7f), atol: 1e-6), Is.True);
        Assert.That(blur[.., .., TensorIndex.Slice(2, 7), TensorIndex.Slice(2, 7)].allclose(full(new long[] { 2, 3, 5, 5 }, 0.7f), atol: 1e-6), Is.True);
        // zero padding outside the image: the border is darker
        Assert.That(down[0, 0, 0, 0].item<float>(), Is.LessThan(0.7f - 0.1f));
    }

    [Test]
    public void FirUpsampleIsFourTimesTheAdjointOfDownsample()
    {
        using var scope = NewDisposeScope();
        var fir = new FirFilter();
        var x = randn(2, 3, 5, 5);
        var y = randn(2, 3, 10, 10);
        var lhs = (fir.Upsample2d(x) * y).sum().item<float>();
        var rhs = 4 * (x * fir.Downsample2d(y)).sum().item<float>();
        Assert.That(lhs, Is.EqualTo(rhs).Within(1e-3));
    }

    [Test]
    public void FirUpThenDownRecoversASmoothImage()
    {
        using var scope = NewDisposeScope();
        var fir = new FirFilter();
        var smooth = Pattern([1, 1, 16, 16], j => Math.Sin(0.15 * (j % 16)) * Math.Cos(0.1 * (j / 16)));
        var roundTrip = fir.Downsample2d(fir.Upsample2d(smooth));
        var interior = TensorIndex.Slice(2, -2);
        var error = (roundTrip - smooth)[.., .., interior, interior].abs().max().item<float>();
        Assert.That(error, Is.LessThan(0.03f));
        // a naive check that would also pass for a no-op is excluded: the border shows the zero padding
        Assert.That((roundTrip - smooth)[0, 0, 15, 15].abs().item<float>(), Is.GreaterThan(0.01f));
    }

    [Test]
    public void FirFilterRejectsOddKernelsAndFollowsTheTensorsDevice()
    {
        Assert.Throws<ArgumentException>(() => new FirFilter([1, 2, 1]));
        Assert.Throws<ArgumentException>(() => new FirFilter([1, -1]));
        using var scope = NewDisposeScope();
        var fir = new FirFilter();
        var d = fir.Downsample2d(randn(1, 2, 8, 8, dtype: ScalarType.Float64));
        Assert.That(d.dtype, Is.EqualTo(ScalarType.Float64));
        Assert.That(fir.Downsample2d(randn(1, 5, 8, 8)).shape, Is.EqualTo(new long[] { 1, 5, 4, 4 }));
    }

    [Test]
    public void NaiveResamplingRepeatsAndAverages()
    {
        using var scope = NewDisposeScope();
        var x = arange(4, dtype: ScalarType.Float32).view(1, 1, 2, 2);
        var up = NaiveResample.Upsample2d(x);
        Assert.That(Values(up), Is.EqualTo(new float[] { 0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3 }));
        Assert.That(Values(NaiveResample.Downsample2d(up)), Is.EqualTo(new float[] { 0, 1, 2, 3 }));
    }

    [Test]
    public void DdpmInitIsUniformWithFanAvgBound()
    {
        using var scope = NewDisposeScope();
        var w = DdpmInit.VarianceScaling(empty(64, 32, 3, 3));
        var bound = Math.Sqrt(3.0 / ((32 * 9 + 64 * 9) / 2.0));
        Assert.That(w.abs().max().item<float>(), Is.LessThanOrEqualTo((float)bound).And.GreaterThan(0.98f * (float)bound));
        Assert.That(w.std().item<float>(), Is.EqualTo(bound / Math.Sqrt(3)).Within(3).Percent);
        var zero = DdpmInit.VarianceScaling(empty(64, 32, 3, 3), scale: 0);
        Assert.That(zero.abs().max().item<float>(), Is.LessThanOrEqualTo((float)(bound * 1e-5)).And.GreaterThan(0f));
        var conv = DdpmInit.Conv3x3(8, 4, initScale: 0.5);
        Assert.That(conv.bias!.abs().max().item<float>(), Is.Zero);
        Assert.That(conv.weight!.abs().max().item<float>(), Is.LessThanOrEqualTo((float)Math.Sqrt(3 * 0.5 / ((8 * 9 + 4 * 9) / 2.0))));
    }

    [Test]
    public void DenseLayerInitUsesFanOut()
    {
        using var scope = NewDisposeScope();
        var lin = DenseLayerInit.Dense(100, 256);
        var fanOutBound = (float)Math.Sqrt(3.0 / 256);
        Assert.That(lin.weight!.abs().max().item<float>(), Is.LessThanOrEqualTo(fanOutBound).And.GreaterThan(0.95f * fanOutBound));
        Assert.That(lin.bias!.abs().max().item<float>(), Is.Zero);
        var conv = DenseLayerInit.Conv2d(32, 16, 3, padding: 1);
        var convBound = (float)Math.Sqrt(3.0 / (16 * 9));
        Assert.That(conv.weight!.abs().max().item<float>(), Is.LessThanOrEqualTo(convBound).And.GreaterThan(0.95f * convBound));
        var zero = DenseLayerInit.Conv2d(32, 16, 3, initScale: 0);
        Assert.That(zero.weight!.abs().max().item<float>(), Is.LessThan(convBound * 1e-4f));
        Assert.That(DenseLayerInit.Conv2d(4, 4, 1, padding: 0, bias: false).bias, Is.Null);
    }

    [Test]
    public void AdaptiveGroupNormScalesThenShiftsPerChannel()
    {
        using var scope = NewDisposeScope();
        var norm = new AdaptiveGroupNorm(numGroups: 2, channels: 8, styleDim: 5);
        var sd = norm.state_dict();
        Assert.That(sd.Keys, Is.EquivalentTo(new[] { "style.weight", "style.bias" }));
        Assert.That(Values(sd["style.bias"]), Is.EqualTo(new float[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0 }));
        var x = randn(3, 8, 4, 4);
        var plain = nn.functional.group_norm(x, 2, eps: 1e-6);
        var zStyle = randn(3, 5);
        using (no_grad())
        {
            sd["style.weight"].zero_();
            sd["style.bias"].copy_(cat([full(8, 2f), full(8, 3f)]));
        }
        Assert.That(norm.call(x, zStyle).allclose(plain * 2 + 3, atol: 1e-5), Is.True, "gamma is the first half, beta the second");
        Assert.That(AdaptiveGroupNorm.GroupCount(128), Is.EqualTo(32));
        Assert.That(AdaptiveGroupNorm.GroupCount(64), Is.EqualTo(16));
        Assert.Throws<ArgumentException>(() => AdaptiveGroupNorm.GroupCount(144));
    }

    [Test]
    public void NinStoresItsWeightTransposed()
    {
        using var scope = NewDisposeScope();
        var nin = new NIN(6, 4);
        var sd = nin.state_dict();
        Assert.That(sd["W"].shape, Is.EqualTo(new long[] { 6, 4 }));
        Assert.That(sd["b"].shape, Is.EqualTo(new long[] { 4 }));
        using (no_grad()) sd["b"].copy_(randn(4));
        var x = randn(2, 6, 3, 5);
        var expected = einsum("bchw,co->bohw", x, sd["W"]) + sd["b"].view(1, 4, 1, 1);
        Assert.That(nin.call(x).allclose(expected, atol: 1e-5), Is.True);
    }

    [Test]
    public void AttentionMatchesTheExplicitFormula()
    {
        using var scope = NewDisposeScope();
        var attn = new AttnBlockpp(16, skipRescale: true);
        var sd = attn.state_dict();
        Assert.That(sd.Keys, Is.EquivalentTo(new[]
        {
            "GroupNorm_0.weight", "GroupNorm_0.bias", "NIN_0.W", "NIN_0.b", "NIN_1.W", "NIN_1.b", "NIN_2.W", "NIN_2.b", "NIN_3.W", "NIN_3.b",
        }));
        using (no_grad())
            foreach (var p in sd.Values) p.copy_(randn(p.shape) * 0.5);
        var x = randn(2, 16, 4, 6);
        var h = nn.functional.group_norm(x, 4, sd["GroupNorm_0.weight"], sd["GroupNorm_0.bias"], 1e-6);
        Tensor Nin(Tensor t, int i) => einsum("bchw,co->bohw", t, sd[$"NIN_{i}.W"]) + sd[$"NIN_{i}.b"].view(1, -1, 1, 1);
        var q = Nin(h, 0);
        var k = Nin(h, 1);
        var v = Nin(h, 2);
        var w = einsum("bchw,bcij->bhwij", q, k) * Math.Pow(16, -0.5);
        w = softmax(w.reshape(2, 4, 6, 24), -1).reshape(2, 4, 6, 4, 6);
        var a = Nin(einsum("bhwij,bcij->bchw", w, v), 3);
        var expected = (x + a) / Math.Sqrt(2);
        Assert.That(attn.call(x).allclose(expected, rtol: 1e-4, atol: 1e-5), Is.True);
    }

    [Test]
    public void MinibatchStddevUsesStridedGroupsOfFour()
    {
        using var scope = NewDisposeScope();
        var x = randn(8, 3, 2, 2);
        var y = new MinibatchStddev().call(x);
        Assert.That(y.shape, Is.EqualTo(new long[] { 8, 4, 2, 2 }));
        Assert.That(y[.., ..3].allclose(x), Is.True);
        var data = Values(x);
        double SlotStd(int slot)
        {
            double total = 0;
            for (var e = 0; e < 12; e++)
            {
                var members = Enumerable.Range(0, 4).Select(g => (double)data[(g * 2 + slot) * 12 + e]).ToArray();
                var mean = members.Average();
                total += Math.Sqrt(members.Select(m => (m - mean) * (m - mean)).Average() + 1e-8);
            }
            return total / 12;
        }
        var stdMaps = Values(y[.., 3]);
        for (var b = 0; b < 8; b++)
            for (var p = 0; p < 4; p++)
                Assert.That(stdMaps[b * 4 + p], Is.EqualTo(SlotStd(b % 2)).Within(1e-5), $"sample {b}");
        Assert.That(new MinibatchStddev().call(randn(2, 3, 2, 2)).shape, Is.EqualTo(new long[] { 2, 4, 2, 2 }), "B < 4 uses one group of B");
        Assert.Throws<ArgumentException>(() => new MinibatchStddev().call(randn(6, 3, 2, 2)));
    }

    [Test]
    public void PixelNormGivesUnitMeanSquare()
    {
        using var scope = NewDisposeScope();
        var y = new PixelNorm().call(randn(4, 10) * 3);
        Assert.That(y.square().mean([1]).allclose(ones(4), atol: 1e-5), Is.True);
    }

    [Test]
    public void DownsampleVariantsUseTheOfficialNames()
    {
        using var scope = NewDisposeScope();
        var firConv = new Downsample(3, 8, withConv: true, fir: true);
        Assert.That(firConv.state_dict().Keys, Is.EquivalentTo(new[] { "Conv2d_0.weight", "Conv2d_0.bias" }));
        var x = randn(2, 3, 16, 16);
        var y = firConv.call(x);
        Assert.That(y.shape, Is.EqualTo(new long[] { 2, 8, 8, 8 }));
        var sd = firConv.state_dict();
        var expected = nn.functional.conv2d(new FirFilter().Blur(x), sd["Conv2d_0.weight"], sd["Conv2d_0.bias"], strides: [2, 2]);
        Assert.That(y.allclose(expected, atol: 1e-6), Is.True);
        var plainConv = new Downsample(3, 8, withConv: true, fir: false);
        Assert.That(plainConv.state_dict().Keys, Is.EquivalentTo(new[] { "Conv_0.weight", "Conv_0.bias" }));
        Assert.That(plainConv.call(x).shape, Is.EqualTo(new long[] { 2, 8, 8, 8 }));
        Assert.That(new Downsample(3, fir: true).state_dict(), Is.Empty);
        Assert.That(new Downsample(3, fir: true).call(x).allclose(new FirFilter().Downsample2d(x)), Is.True);
    }

    [Test]
    public void FreshResnetBlockIsNearlyItsScaledSkipPath()
    {
        using var scope = NewDisposeScope();
        var same = new ResnetBlockBigGANppAdagn(16, null, 32, 8, dropout: 0, fir: true);
        Assert.That(same.state_dict().Keys.Any(k => k.StartsWith("Conv_2", StringComparison.Ordinal)), Is.False);
        var x = randn(2, 16, 8, 8);
        var temb = randn(2, 32);
        var zemb = randn(2, 8);
        // Conv_1 starts near zero, so the residual branch contributes almost nothing: out ≈ x / √2.
        Assert.That(same.call(x, temb, zemb).allclose(x / Math.Sqrt(2), atol: 1e-4), Is.True);

        var down = new ResnetBlockBigGANppAdagn(16, 24, 32, 8, Resampling.Down, dropout: 0, fir: true);
        var sd = down.state_dict();
        Assert.That(sd.Keys, Is.SupersetOf(new[]
        {
            "GroupNorm_0.style.weight", "GroupNorm_0.style.bias", "Conv_0.weight", "Conv_0.bias", "Dense_0.weight", "Dense_0.bias",
            "GroupNorm_1.style.weight", "Conv_1.weight", "Conv_2.weight", "Conv_2.bias",
        }));
        var y = down.call(x, temb, zemb);
        Assert.That(y.shape, Is.EqualTo(new long[] { 2, 24, 4, 4 }));
        var skip = nn.functional.conv2d(new FirFilter().Downsample2d(x), sd["Conv_2.weight"], sd["Conv_2.bias"]);
        Assert.That(y.allclose(skip / Math.Sqrt(2), atol: 1e-4), Is.True, "the skip path is FIR-downsampled before Conv_2");

        var up = new ResnetBlockBigGANppAdagn(16, null, null, 8, Resampling.Up, dropout: 0, fir: true, skipRescale: false);
        Assert.That(up.state_dict().Keys.Any(k => k.StartsWith("Dense_0", StringComparison.Ordinal)), Is.False);
        Assert.That(up.call(x, null, zemb).shape, Is.EqualTo(new long[] { 2, 16, 16, 16 }));
    }

    [Test]
    public void DownConvBlockHasABiasFreeSkipAndHalvesTheResolution()
    {
        using var scope = NewDisposeScope();
        var block = new DownConvBlock(8, 16, tEmbDim: 12, downsample: true);
        Assert.That(block.state_dict().Keys, Is.EquivalentTo(new[]
        {
            "conv1.0.weight", "conv1.0.bias", "conv2.0.weight", "conv2.0.bias", "dense_t1.weight", "dense_t1.bias", "skip.0.weight",
        }));
        var x = randn(2, 8, 8, 8);
        var y = block.call(x, randn(2, 12));
        Assert.That(y.shape, Is.EqualTo(new long[] { 2, 16, 4, 4 }));
        // conv2 starts near zero: out ≈ skip(FIR-down(x)) / √2
        var skip = nn.functional.conv2d(new FirFilter().Downsample2d(x), block.state_dict()["skip.0.weight"]);
        Assert.That(y.allclose(skip / Math.Sqrt(2), atol: 1e-4), Is.True);
        Assert.That(new DownConvBlock(8, 16, 12).call(x, randn(2, 12)).shape, Is.EqualTo(new long[] { 2, 16, 8, 8 }));
    }

    [Test]
    public void TimestepEmbeddingUsesMainSequentialNames()
    {
        using var scope = NewDisposeScope();
        var emb = new TimestepEmbedding(16, 16, 16);
        Assert.That(emb.state_dict().Keys, Is.EquivalentTo(new[] { "main.0.weight", "main.0.bias", "main.2.weight", "main.2.bias" }));
        Assert.That(emb.call(tensor(new long[] { 0, 1, 2 })).shape, Is.EqualTo(new long[] { 3, 16 }));
    }

    [Test]
    public void LayersDoNotLeakTensors()
    {
        var block = new ResnetBlockBigGANppAdagn(8, 16, 32, 8, Resampling.Down, dropout: 0, fir: true);
        var attn = new AttnBlockpp(16, true);
        using var x = randn(2, 8, 8, 8);
        using var temb = randn(2, 32);
        using var zemb = randn(2, 8);
        // warm-up (creates the cached FIR weights, which are deliberately kept)
        using (var warm = attn.call(block.call(x, temb, zemb))) { }
        DisposeScopeManager.Statistics.Reset();
        using (var h = block.call(x, temb, zemb))
        using (var y = attn.call(h)) { }
        Assert.That(DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(0));
    }
}
