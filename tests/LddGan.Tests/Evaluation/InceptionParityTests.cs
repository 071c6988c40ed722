using System.Diagnostics;
using LddGan.Evaluation;
using LddGan.Tests.Networks;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Evaluation.Inception;

/// <summary>
/// The FID Inception against an independent plain-torch re-implementation (Fixtures/make_inception_fixture.py, PyTorch
/// 1.13 on CPU, one thread). Both sides fill the same formula weights (<see cref="InceptionFormulaWeights"/>), run the
/// same two 1×32×32 images through pytorch-fid's pipeline and compare checksums of four stages and the 2×2048 features.
/// The fixture is sensitive to every FID-specific detail: counting the padding in the average pools changes the
/// features by 6.6 % of their scale, average instead of max pooling in Mixed_7c by 23 %, align_corners=True by 1.8 %.
/// </summary>
[NonParallelizable]
public sealed class InceptionParityTests
{
    /// <summary>Parameters of the feature part (pytorch-fid's network without fc): also torchvision's 27,161,264 minus AuxLogits and fc.</summary>
    private const long FeatureParameters = 21_785_568;

    [Test]
    public void ParameterCountAndStateDictMatchTheReference()
    {
        var fixture = InceptionFixture.Load();
        using var net = NetworkTestHelpers.OnMeta(() => new FidInceptionV3());
        Assert.That(NetworkTestHelpers.CountParameters(net), Is.EqualTo(FeatureParameters));
        Assert.That(fixture["parameter_count"].GetInt64(), Is.EqualTo(FeatureParameters), "the Python re-implementation counts the same");
        var expected = fixture["state_dict_shapes"].EnumerateObject()
            .ToDictionary(p => p.Name, p => InceptionFixture.Shape(p.Value));
        var actual = NetworkTestHelpers.Shapes(net);
        Assert.That(actual.Keys.Order(StringComparer.Ordinal), Is.EqualTo(expected.Keys.Order(StringComparer.Ordinal)));
        Assert.Multiple(() =>
        {
            foreach (var (key, shape) in expected) Assert.That(actual[key], Is.EqualTo(shape), key);
        });
        Assert.That(actual, Has.Count.EqualTo(564), "94 BasicConv2d × (conv.weight + 5 BatchNorm entries)");
    }

    [Test]
    public void FeaturesMatchThePythonReimplementationOfPytorchFid()
    {
        var fixture = InceptionFixture.Load();
        using var net = new FidInceptionV3();
        using var scope = NewDisposeScope();
        var weights = InceptionFormulaWeights.For(net);
        Assert.That(weights, Has.Count.EqualTo(fixture["filled_keys"].GetInt32()));
        foreach (var check in fixture["fill_checks"].EnumerateObject())
            Assert.That(weights[check.Name].to_type(ScalarType.Float64).sum().item<double>(),
                Is.EqualTo(check.Value.GetDouble()).Within(1e-9).Percent, $"formula weights of {check.Name}");

        // The release file also carries the TF classifier; it must be accepted and ignored.
        weights["fc.weight"] = zeros(1008, 2048);
        weights["fc.bias"] = zeros(1008);
        var loaded = net.LoadWeights(weights, "formula weights");
        Assert.That(loaded.Loaded, Is.EqualTo(470));
        Assert.That(loaded.Ignored, Is.EqualTo(new[] { "fc.bias", "fc.weight" }));

        var stages = new Dictionary<string, (long[] Shape, double Sum, double SumSq)>();
        var clock = Stopwatch.StartNew();
        var features = net.Extract(fixture.Tensor("input"), (name, t) =>
        {
            var d = t.to_type(ScalarType.Float64);
            stages[name] = (t.shape, d.sum().item<double>(), d.square().sum().item<double>());
        });
        clock.Stop();

        var expected = fixture.Tensor("features");
        Assert.That(features.shape, Is.EqualTo(new long[] { 2, 2048 }));
        var scale = expected.abs().max().item<float>();
        var maxAbsError = (features - expected).abs().max().item<float>();
        var large = expected.abs() > 1e-2 * scale;
        var elementwise = ((features - expected).abs() / expected.abs().clamp_min(1e-12)).masked_select(large).max().item<float>();
        TestContext.Out.WriteLine($"Extract (2 images, 1 thread): {clock.Elapsed.TotalSeconds:F2} s; feature scale {scale:G4}; " +
                                  $"max |error| / max |feature| = {maxAbsError / scale:E2}; max elementwise relative error (|feature| > 1 % of scale) = {elementwise:E2}");

        Assert.Multiple(() =>
        {
            foreach (var stage in fixture["intermediates"].EnumerateObject())
            {
                Assert.That(stages.ContainsKey(stage.Name), Is.True, $"stage {stage.Name} observed");
                if (!stages.TryGetValue(stage.Name, out var got)) continue;
                Assert.That(got.Shape, Is.EqualTo(InceptionFixture.Shape(stage.Value.GetProperty("shape"))), $"{stage.Name} shape");
                Assert.That(got.Sum, Is.EqualTo(stage.Value.GetProperty("sum").GetDouble()).Within(1e-4).Percent, $"{stage.Name} sum");
                Assert.That(got.SumSq, Is.EqualTo(stage.Value.GetProperty("sum_sq").GetDouble()).Within(1e-4).Percent, $"{stage.Name} sum of squares");
            }
            Assert.That(maxAbsError / scale, Is.LessThanOrEqualTo(1e-4), "max |error| relative to the feature scale");
            Assert.That(elementwise, Is.LessThanOrEqualTo(1e-4), "elementwise relative error of the non-tiny features");
            Assert.That((features[0] - features[1]).abs().max().item<float>(), Is.GreaterThan(0.1f * scale), "the two images give different features");
        });
    }
}
