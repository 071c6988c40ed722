using LddGan.Abstractions;
using LddGan.Layers;
using LddGan.Plugins.Ddgan;
using NUnit.Framework;
using TorchSharp;
using static LddGan.Tests.Networks.NetworkTestHelpers;
using static TorchSharp.torch;

namespace LddGan.Tests.Networks;

[NonParallelizable]
public sealed class NcsnppGeneratorTests
{
    /// <summary>A small configuration that still has every kind of module (attention at 8, two downsamplings).</summary>
    private static NcsnppOptions Tiny(Func<NcsnppOptions, NcsnppOptions>? change = null)
    {
        var o = new NcsnppOptions { Nf = 16, ChMult = [1, 2], AttnResolutions = [8], Nz = 8, ZEmbDim = 16, NMlp = 2 };
        return change is null ? o : change(o);
    }

    [Test]
    public void Cifar10ConfigurationHasThePublishedParameterCount()
    {
        using var g = OnMeta(() => new NcsnppGenerator(new NcsnppOptions(), channels: 3, imageSize: 32));
        var count = CountParameters(g);
        TestContext.Out.WriteLine($"NCSN++ CIFAR-10 parameters: {count:N0}");
        Assert.That(count, Is.EqualTo(48_432_515L));
        Assert.That(CountUnder(g, "z_transform"), Is.EqualTo(289_024L));
        Assert.That(CountUnder(g, "all_modules"), Is.EqualTo(48_143_491L));
    }

    [Test]
    public void Cifar10ModulesAreInTheOfficialOrder()
    {
        // Parameter count of all_modules.{i}, from the verified layer table of the official model.
        var expected = new Dictionary<int, long>
        {
            [0] = 66_048, [1] = 262_656, [2] = 3_584, [3] = 492_416, [4] = 492_416, [5] = 508_928, [6] = 3_584,
            [7] = 1_246_976, [8] = 263_680, [9] = 1_574_656, [10] = 263_680, [11] = 1_640_448, [12] = 295_168,
            [13] = 1_574_656, [14] = 1_574_656, [15] = 1_640_448, [16] = 590_080, [17] = 1_574_656, [18] = 1_574_656,
            [19] = 1_574_656, [20] = 263_680, [21] = 1_574_656, [22] = 2_427_392, [23] = 2_427_392, [24] = 2_427_392,
            [25] = 1_640_448, [26] = 2_427_392, [27] = 2_427_392, [28] = 2_427_392, [29] = 1_640_448,
            [30] = 2_427_392, [31] = 2_427_392, [32] = 2_033_920, [33] = 263_680, [34] = 1_640_448, [35] = 968_192,
            [36] = 738_560, [37] = 738_560, [38] = 256, [39] = 3_459,
        };
        using var g = OnMeta(() => new NcsnppGenerator(new NcsnppOptions(), 3, 32));
        var actual = expected.Keys.ToDictionary(i => i, i => CountUnder(g, $"all_modules.{i}"));
        Assert.That(actual, Is.EquivalentTo(expected));
        Assert.That(CountUnder(g, "all_modules.40"), Is.Zero, "the official model has exactly 40 entries in all_modules");
    }

    [Test]
    public void Cifar10StateDictUsesTheOfficialKeys()
    {
        using var g = OnMeta(() => new NcsnppGenerator(new NcsnppOptions(), 3, 32));
        var shapes = Shapes(g);
        var expected = new Dictionary<string, long[]>
        {
            ["all_modules.0.weight"] = [512, 128],
            ["all_modules.1.bias"] = [512],
            ["all_modules.2.weight"] = [128, 3, 3, 3],
            ["all_modules.3.GroupNorm_0.style.weight"] = [256, 256],
            ["all_modules.3.GroupNorm_0.style.bias"] = [256],
            ["all_modules.3.Conv_0.weight"] = [128, 128, 3, 3],
            ["all_modules.3.Dense_0.weight"] = [128, 512],
            ["all_modules.3.GroupNorm_1.style.weight"] = [256, 256],
            ["all_modules.3.Conv_1.bias"] = [128],
            ["all_modules.5.Conv_2.weight"] = [128, 128, 1, 1],
            ["all_modules.6.Conv2d_0.weight"] = [128, 3, 3, 3],
            ["all_modules.6.Conv2d_0.bias"] = [128],
            ["all_modules.7.Conv_2.weight"] = [256, 128, 1, 1],
            ["all_modules.8.GroupNorm_0.weight"] = [256],
            ["all_modules.8.NIN_0.W"] = [256, 256],
            ["all_modules.8.NIN_3.b"] = [256],
            ["all_modules.12.Conv2d_0.weight"] = [256, 128, 3, 3],
            ["all_modules.32.Conv_0.weight"] = [256, 384, 3, 3],
            ["all_modules.38.weight"] = [128],
            ["all_modules.39.weight"] = [3, 128, 3, 3],
            ["z_transform.1.weight"] = [256, 100],
            ["z_transform.9.bias"] = [256],
        };
        foreach (var (key, shape) in expected)
        {
            Assert.That(shapes.ContainsKey(key), Is.True, $"missing key {key}");
            Assert.That(shapes[key], Is.EqualTo(shape), key);
        }
        Assert.That(shapes.Keys.Where(k => k.StartsWith("z_transform.", StringComparison.Ordinal)).Select(k => k.Split('.')[1]).Distinct(),
            Is.EquivalentTo(new[] { "1", "3", "5", "7", "9" }));
        Assert.That(shapes.Keys, Has.None.StartsWith("all_modules.3.Conv_2").And.None.StartsWith("all_modules.4.Conv_2"),
            "blocks that keep channels and resolution have no Conv_2");
        Assert.That(shapes.Keys.All(k => k.StartsWith("all_modules.", StringComparison.Ordinal) || k.StartsWith("z_transform.", StringComparison.Ordinal)),
            Is.True, "every parameter lives under all_modules or z_transform");
    }

    [Test]
    public void Config256HasThePublishedParameterCount()
    {
        var options = new NcsnppOptions { Nf = 64, ChMult = [1, 1, 2, 2, 4, 4], AttnResolutions = [16], NMlp = 3, Nz = 100 };
        using var g = OnMeta(() => new NcsnppGenerator(options, 3, 256));
        var count = CountParameters(g);
        TestContext.Out.WriteLine($"NCSN++ 256 px parameters: {count:N0}");
        Assert.That(count, Is.EqualTo(39_726_979L));
    }

    [Test]
    public void LddganCifarConfigurationMatchesThePaperCount()
    {
        // LDDGAN CIFAR-10 generator on 4x16x16 latents, nz = 100 (reference §7.4: 33,342,468).
        var options = new NcsnppOptions { ChMult = [1, 2, 2], AttnResolutions = [32], Nz = 100, NMlp = 4 };
        using var g = OnMeta(() => new NcsnppGenerator(options, 4, 16));
        Assert.That(CountParameters(g), Is.EqualTo(33_342_468L));
    }

    [Test]
    public void TinyForwardKeepsTheShapeAndStaysInTanhRange()
    {
        torch.manual_seed(1);
        using var g = new NcsnppGenerator(Tiny(), channels: 1, imageSize: 16);
        using var scope = NewDisposeScope();
        var x = randn(2, 1, 16, 16);
        var t = tensor(new long[] { 0, 3 });
        var z = randn(2, g.NoiseDim);
        var y = g.call(x, t, z);
        Assert.That(y.shape, Is.EqualTo(new long[] { 2, 1, 16, 16 }));
        Assert.That(y.isfinite().all().item<bool>(), Is.True);
        Assert.That(y.abs().max().item<float>(), Is.LessThanOrEqualTo(1f));
        Assert.That(g.NoiseDim, Is.EqualTo(8));
    }

    [Test]
    public void TinyOutputDependsOnTimeAndNoise()
    {
        torch.manual_seed(2);
        using var g = new NcsnppGenerator(Tiny(o => o with { NotUseTanh = true }), 1, 16);
        using var scope = NewDisposeScope();
        // The zero-initialised output conv makes the fresh output ~1e-10; give every parameter O(1) values first.
        using (no_grad())
            foreach (var p in g.parameters()) p.normal_(0, 0.2);
        var x = randn(1, 1, 16, 16);
        var z = randn(1, 8);
        var y0 = g.call(x, tensor(new long[] { 0 }), z);
        var y1 = g.call(x, tensor(new long[] { 1 }), z);
        var y2 = g.call(x, tensor(new long[] { 0 }), randn(1, 8));
        var again = g.call(x, tensor(new long[] { 0 }), z);
        Assert.That(again.allclose(y0), Is.True, "the forward is deterministic (dropout 0)");
        Assert.That((y1 - y0).abs().max().item<float>(), Is.GreaterThan(1e-4f), "t changes the output");
        Assert.That((y2 - y0).abs().max().item<float>(), Is.GreaterThan(1e-4f), "z changes the output");
    }

    [TestCase("residual", "sum", true)]
    [TestCase("none", "sum", true)]
    [TestCase("input_skip", "sum", true)]
    [TestCase("input_skip", "cat", false)]
    public void GradientReachesEveryParameter(string progressiveInput, string combine, bool fir)
    {
        torch.manual_seed(3);
        using var g = new NcsnppGenerator(Tiny(o => o with { ProgressiveInput = progressiveInput, ProgressiveCombine = combine, Fir = fir }), 1, 16);
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (var p in g.parameters()) p.normal_(0, 0.1);
        var y = g.call(randn(2, 1, 16, 16), tensor(new long[] { 1, 2 }), randn(2, 8));
        y.square().sum().backward();
        var missing = g.named_parameters()
            .Where(p => p.parameter.grad is null || p.parameter.grad.abs().max().item<float>() == 0f)
            .Select(p => p.name).ToList();
        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void UnconditionalModelHasNoTimeMlpAndLeavesDense0Unused()
    {
        torch.manual_seed(4);
        using var g = new NcsnppGenerator(Tiny(o => o with { Conditional = false }), 1, 16);
        using var scope = NewDisposeScope();
        // As in the official code, blocks keep their Dense_0 but receive no time embedding.
        Assert.That(g.named_parameters().Any(p => p.name == "all_modules.0.weight" && p.parameter.dim() == 4), Is.True,
            "without the time MLP, all_modules.0 is conv_in");
        using (no_grad())
            foreach (var p in g.parameters()) p.normal_(0, 0.1);
        var y = g.call(randn(2, 1, 16, 16), tensor(new long[] { 1, 2 }), randn(2, 8));
        y.square().sum().backward();
        var withoutGrad = g.named_parameters().Where(p => p.parameter.grad is null).Select(p => p.name).ToList();
        Assert.That(withoutGrad, Is.Not.Empty);
        Assert.That(withoutGrad, Has.All.Contains(".Dense_0."));
    }

    [Test]
    public void NotCenteredMapsInputsFromUnitInterval()
    {
        torch.manual_seed(5);
        using var centered = new NcsnppGenerator(Tiny(o => o with { NotUseTanh = true }), 1, 16);
        using var notCentered = new NcsnppGenerator(Tiny(o => o with { NotUseTanh = true, Centered = false }), 1, 16);
        notCentered.load_state_dict(centered.state_dict());
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (var p in centered.parameters()) p.normal_(0, 0.1);
        notCentered.load_state_dict(centered.state_dict());
        var x01 = rand(2, 1, 16, 16);
        var t = tensor(new long[] { 0, 1 });
        var z = randn(2, 8);
        var a = notCentered.call(x01, t, z);
        var b = centered.call(2 * x01 - 1, t, z);
        Assert.That(a.allclose(b, rtol: 1e-5, atol: 1e-6), Is.True);
        var c = centered.call(x01, t, z);
        Assert.That(a.allclose(c, rtol: 1e-3, atol: 1e-4), Is.False);
    }

    [Test]
    public void InitialisationFollowsTheOfficialScales()
    {
        torch.manual_seed(6);
        using var g = new NcsnppGenerator(new NcsnppOptions { Nf = 32, ChMult = [1, 2], AttnResolutions = [8] }, 3, 16);
        var p = g.state_dict();
        float MaxAbs(string key) => p[key].abs().max().item<float>();
        // Zero-initialised (scale 1e-10): Conv_1 of every block, NIN_3 of attention, the output conv.
        Assert.That(MaxAbs("all_modules.3.Conv_1.weight"), Is.LessThan(1e-5f));
        Assert.That(MaxAbs("all_modules.3.Conv_0.weight"), Is.GreaterThan(1e-2f));
        var lastConv = p.Keys.Where(k => k.StartsWith("all_modules.", StringComparison.Ordinal))
            .Max(k => int.Parse(k.Split('.')[1]));
        Assert.That(MaxAbs($"all_modules.{lastConv}.weight"), Is.LessThan(1e-5f));
        var nin3 = p.Keys.First(k => k.EndsWith(".NIN_3.W", StringComparison.Ordinal));
        Assert.That(MaxAbs(nin3), Is.LessThan(1e-5f));
        Assert.That(MaxAbs(nin3.Replace("NIN_3", "NIN_0")), Is.GreaterThan(1e-3f));
        // Affine GroupNorms (attention, output) start at weight 1, bias 0 (TorchSharp's own GroupNorm leaves them unset).
        var affineNorms = p.Keys.Where(k => k.EndsWith("GroupNorm_0.weight", StringComparison.Ordinal)).Append($"all_modules.{lastConv - 1}.weight").ToList();
        Assert.That(affineNorms, Has.Count.GreaterThanOrEqualTo(4));
        foreach (var key in affineNorms)
        {
            Assert.That(p[key].eq(1).all().item<bool>(), Is.True, key);
            Assert.That(p[key.Replace(".weight", ".bias")].eq(0).all().item<bool>(), Is.True, key);
        }
        // AdaGN style bias starts at gamma = 1 then beta = 0.
        var styleBias = p["all_modules.3.GroupNorm_0.style.bias"];
        Assert.That(styleBias[..32].eq(1).all().item<bool>() && styleBias[32..].eq(0).all().item<bool>(), Is.True);
        // Mapping network: dense_layer init, bound sqrt(3 / fan_out) with fan_out = z_emb_dim = 256.
        var bound = (float)Math.Sqrt(3.0 / 256);
        Assert.That(MaxAbs("z_transform.1.weight"), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.9f * bound));
        Assert.That(MaxAbs("z_transform.1.bias"), Is.Zero);
    }

    [Test]
    public void OptionsRejectUnimplementedCombinationsNamingTheKey()
    {
        string Errors(NcsnppOptions o) => string.Join("\n", o.Validate());
        Assert.That(new NcsnppOptions().Validate(), Is.Empty);
        Assert.That(Errors(new NcsnppOptions { ResblockType = "ddpm" }), Does.Contain("resblock_type").And.Contain("biggan"));
        Assert.That(Errors(new NcsnppOptions { EmbeddingType = "fourier" }), Does.Contain("embedding_type").And.Contain("positional"));
        Assert.That(Errors(new NcsnppOptions { Progressive = "output_skip" }), Does.Contain("progressive").And.Contain("none"));
        Assert.That(Errors(new NcsnppOptions { ProgressiveInput = "pyramid" }), Does.Contain("progressive_input").And.Contain("input_skip, residual"));
        Assert.That(Errors(new NcsnppOptions { FirKernel = [1, 2, 1] }), Does.Contain("fir_kernel"));
        Assert.That(Errors(new NcsnppOptions { ChMult = [] }), Does.Contain("ch_mult"));
        Assert.That(Errors(new NcsnppOptions { NMlp = -1 }), Does.Contain("n_mlp"));
        Assert.That(Errors(new NcsnppOptions { Dropout = 1.5 }), Does.Contain("dropout"));
        Assert.Throws<ArgumentException>(() => new NcsnppGenerator(new NcsnppOptions { ResblockType = "ddpm" }, 3, 32));
        var sizeError = Assert.Throws<ArgumentException>(() => new NcsnppGenerator(new NcsnppOptions(), 3, 20));
        Assert.That(sizeError!.Message, Does.Contain("divisible by 2^(len(ch_mult) - 1) = 8"));
        Assert.Throws<ArgumentException>(() => NcsnppGenerator.ForShape(new NcsnppOptions(), new SampleShape(3, 32, 16)));
        Assert.Throws<ArgumentException>(() => NcsnppGenerator.ForShape(new NcsnppOptions(), SampleShape.Vector(2)));
    }

    [Test]
    public void ForwardDoesNotLeakTensors()
    {
        using var g = new NcsnppGenerator(Tiny(o => o with { ProgressiveInput = "input_skip" }), 1, 16);
        using var x = randn(2, 1, 16, 16);
        using var t = tensor(new long[] { 0, 1 });
        using var z = randn(2, 8);
        using (g.call(x, t, z)) { }   // warm-up: creates the cached FIR weights
        DisposeScopeManager.Statistics.Reset();
        using (g.call(x, t, z)) { }
        Assert.That(DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(0));
    }

    [Test]
    public void StateDictRoundTripsIntoAFreshModel()
    {
        torch.manual_seed(7);
        using var a = new NcsnppGenerator(Tiny(o => o with { NotUseTanh = true }), 1, 16);
        using var b = new NcsnppGenerator(Tiny(o => o with { NotUseTanh = true }), 1, 16);
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (var p in a.parameters()) p.normal_(0, 0.1);
        var stream = new MemoryStream();
        a.save(stream);                      // TorchSharp closes the stream; ToArray still works
        b.load(new MemoryStream(stream.ToArray()));
        var x = randn(2, 1, 16, 16);
        var t = tensor(new long[] { 0, 2 });
        var z = randn(2, 8);
        Assert.That(b.call(x, t, z).allclose(a.call(x, t, z)), Is.True);
    }

    [Test]
    public void ConvertedModelRunsInFloat64WithTheSameResult()
    {
        // A dtype move goes through the same parameter replacement as a device move (NIN's W/b fields, cached FIR weights).
        torch.manual_seed(8);
        using var single = new NcsnppGenerator(Tiny(o => o with { NotUseTanh = true }), 1, 16);
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (var p in single.parameters()) p.normal_(0, 0.1);
        using var dbl = new NcsnppGenerator(Tiny(o => o with { NotUseTanh = true }), 1, 16);
        dbl.load_state_dict(single.state_dict());
        dbl.to(ScalarType.Float64);
        Assert.That(dbl.parameters().All(p => p.dtype == ScalarType.Float64), Is.True);
        var x = randn(2, 1, 16, 16);
        var t = tensor(new long[] { 0, 3 });
        var z = randn(2, 8);
        var y64 = dbl.call(x.to_type(ScalarType.Float64), t, z.to_type(ScalarType.Float64));
        Assert.That(y64.dtype, Is.EqualTo(ScalarType.Float64));
        Assert.That(y64.to_type(ScalarType.Float32).allclose(single.call(x, t, z), rtol: 1e-4, atol: 1e-5), Is.True);
    }

    [Test]
    public void ForwardRejectsAWrongInputShape()
    {
        using var g = new NcsnppGenerator(Tiny(), 1, 16);
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => g.call(randn(2, 3, 16, 16), tensor(new long[] { 0, 0 }), randn(2, 8)));
    }
}
