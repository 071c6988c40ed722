using LddGan.Evaluation;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Tests.Evaluation;

/// <summary>
/// LPIPS (VGG16) against the taming-transformers module re-written in PyTorch (Reference/make_lpips_reference.py): weights
/// and images come from the same formula on both sides, so no weights are committed.
/// </summary>
[NonParallelizable]
public sealed class LpipsTests
{
    private static Tensor Formula(long[] shape, int k, double scale)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        return (arange(n, dtype: float64).mul(0.618).add(1.3 * k).sin() * scale).to(float32).reshape(shape);
    }

    /// <summary>The script's fill: parameter k in state-dict order; conv weights sin·√(2/fan_in), biases 0.1·sin, lin weights 0.1·|sin|.</summary>
    private static Lpips FormulaLpips()
    {
        var lpips = new Lpips();
        var parameters = lpips.named_parameters().ToList();
        Assert.That(parameters.Take(3).Select(p => p.name), Is.EqualTo(new[] { "net.slice1.0.weight", "net.slice1.0.bias", "net.slice1.2.weight" }));
        Assert.That(parameters[^1].name, Is.EqualTo("lin4.model.1.weight"));
        using (no_grad())
            for (var k = 0; k < parameters.Count; k++)
            {
                var (name, p) = parameters[k];
                using var value = name.StartsWith("lin") ? Formula(p.shape, k, 0.1).abs()
                    : name.EndsWith("bias") ? Formula(p.shape, k, 0.1)
                    : Formula(p.shape, k, Math.Sqrt(2.0 / (p.shape[1] * p.shape[2] * p.shape[3])));
                p.copy_(value);
            }
        return lpips;
    }

    [Test]
    public void ItHasTheReferenceParameterCountAndKeys()
    {
        using var lpips = new Lpips();
        Assert.That(lpips.parameters().Sum(p => p.numel()), Is.EqualTo(14_716_160));
        var keys = lpips.state_dict().Keys.ToHashSet();
        Assert.That(keys, Does.Contain("scaling_layer.shift").And.Contain("net.slice5.28.bias").And.Contain("lin2.model.1.weight"));
        Assert.That(lpips.parameters().All(p => !p.requires_grad), Is.True);
    }

    [Test]
    public void ItMatchesTheReferenceOnGreyAndColourImages()
    {
        using var lpips = FormulaLpips();
        using var scope = NewDisposeScope();
        var grey = lpips.call(Formula([2, 1, 32, 32], 7, 0.9), Formula([2, 1, 32, 32], 11, 0.9));
        var rgb = lpips.call(Formula([1, 3, 32, 32], 5, 0.9), Formula([1, 3, 32, 32], 6, 0.9));
        var same = lpips.call(Formula([1, 3, 32, 32], 5, 0.9), Formula([1, 3, 32, 32], 5, 0.9));
        double[] expected = [0.102471195, 0.10204456, 0.0757069141];
        double[] actual = [grey[0].item<float>(), grey[1].item<float>(), rgb[0].item<float>()];
        var relative = actual.Zip(expected, (a, e) => Math.Abs(a - e) / e).Max();
        TestContext.Out.WriteLine($"LPIPS vs reference: {string.Join(", ", actual.Select(v => v.ToString("G9")))}; max relative error {relative:E2}");
        Assert.That(relative, Is.LessThan(1e-5));
        Assert.That(same.item<float>(), Is.EqualTo(0f).Within(1e-7));
    }

    [Test]
    public void TorchvisionAndLpipsKeysLoadAndGapsAreReported()
    {
        using var lpips = new Lpips();
        using var scope = NewDisposeScope();
        var torchvision = new Dictionary<string, Tensor>
        {
            ["features.0.weight"] = full(64, 3, 3, 3, 0.25f),
            ["features.28.bias"] = full(512, -0.5f),
            ["classifier.0.weight"] = zeros(4, 4),
        };
        var lin = new Dictionary<string, Tensor> { ["lin0.model.1.weight"] = full(1, 64, 1, 1, 0.125f), ["lin9.model.1.weight"] = zeros(1) };
        var report = lpips.LoadWeights(torchvision, lin);
        var state = lpips.state_dict();
        Assert.That(state["net.slice1.0.weight"].mean().item<float>(), Is.EqualTo(0.25f));
        Assert.That(state["net.slice5.28.bias"].mean().item<float>(), Is.EqualTo(-0.5f));
        Assert.That(state["lin0.model.1.weight"].mean().item<float>(), Is.EqualTo(0.125f));
        Assert.That(report.Loaded, Is.EqualTo(3));
        Assert.That(report.IsComplete, Is.False);
        Assert.That(report.Missing, Does.Contain("net.slice3.14.weight").And.Contain("lin4.model.1.weight"));
        Assert.That(report.Unexpected, Is.EqualTo(new[] { "lin9.model.1.weight" }));

        var wrong = lpips.LoadWeights(new Dictionary<string, Tensor> { ["net.slice1.0.weight"] = zeros(64, 1, 3, 3) });
        Assert.That(wrong.ShapeMismatches.Single(), Does.Contain("net.slice1.0.weight").And.Contain("64, 1, 3, 3"));
    }

    [Test]
    public void TheLpipsComponentLoadsUserWeightFilesAndNamesWhatIsMissing()
    {
        var dir = Directory.CreateTempSubdirectory("lpips-weights-").FullName;
        try
        {
            using var source = FormulaLpips();
            var state = source.state_dict();
            // torchvision's VGG16 file (features.N.*) and LPIPS's lin file, as a user would have them.
            var vgg = state.Where(kv => kv.Key.StartsWith("net.")).Select(kv => (Name: "features." + kv.Key.Split('.', 3)[2], kv.Value)).ToList();
            var lin = state.Where(kv => kv.Key.StartsWith("lin")).Select(kv => (kv.Key, kv.Value)).ToList();
            string vggFile = Path.Combine(dir, "vgg16.safetensors"), linFile = Path.Combine(dir, "lpips-lin.safetensors");
            LddGan.Interop.SafetensorsFile.Write(vggFile, vgg);
            LddGan.Interop.SafetensorsFile.Write(linFile, lin);
            var context = new LddGan.Abstractions.ComponentContext(new(1, 32, 32), new(1, 32, 32), 0, CPU);

            using (var loaded = new LpipsFactory().Create(new LpipsOptions { Weights = [vggFile, linFile] }, context))
            {
                var loadedState = loaded.state_dict();
                foreach (var (key, value) in state) Assert.That(loadedState[key].equal(value).all().item<bool>(), Is.True, key);
            }
            var e = Assert.Throws<ArgumentException>(() => new LpipsFactory().Create(new LpipsOptions { Weights = [vggFile] }, context));
            Assert.That(e!.Message, Does.Contain("vgg16.safetensors").And.Contain("missing: lin0.model.1.weight"));
            var missing = Assert.Throws<ArgumentException>(() => new LpipsFactory().Create(new LpipsOptions { Weights = [Path.Combine(dir, "none.pth")] }, context));
            Assert.That(missing!.Message, Does.Contain("[perceptual] weights").And.Contain("none.pth"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
