using LddGan.Evaluation;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Evaluation.Inception;

/// <summary><see cref="FidInceptionV3.LoadWeights"/>: pytorch-fid's key names, what is ignored or optional, and the error report.</summary>
[NonParallelizable]
public sealed class InceptionWeightLoadingTests
{
    private const string Source = "pt_inception.safetensors";
    private FidInceptionV3 _net = null!;

    [OneTimeSetUp]
    public void Build() => _net = new FidInceptionV3();

    [OneTimeTearDown]
    public void Dispose() => _net.Dispose();

    /// <summary>The network's own state dict, every floating entry doubled (so a copy is visible), as a fresh dictionary.</summary>
    private Dictionary<string, Tensor> Doubled(bool withBatchCounters) =>
        _net.state_dict()
            .Where(kv => withBatchCounters || !kv.Key.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value.is_floating_point() ? kv.Value * 2 : kv.Value.clone(), StringComparer.Ordinal);

    private float Probe() => _net.state_dict()["Mixed_5b.branch1x1.bn.running_var"][0].item<float>();

    [Test]
    public void TheReleaseLayoutLoadsIgnoringTheClassifierAndWithoutBatchCounters()
    {
        using var scope = NewDisposeScope();
        var weights = Doubled(withBatchCounters: false);
        weights["fc.weight"] = zeros(1008, 2048);
        weights["fc.bias"] = zeros(1008);
        var before = Probe();
        var loaded = _net.LoadWeights(weights, Source);
        Assert.That(loaded.Loaded, Is.EqualTo(470));
        Assert.That(loaded.Ignored, Is.EqualTo(new[] { "fc.bias", "fc.weight" }));
        Assert.That(Probe(), Is.EqualTo(2 * before));
        Assert.That(_net.LoadWeights(Doubled(withBatchCounters: true), Source).Loaded, Is.EqualTo(564), "counters load when present");
    }

    [Test]
    public void HalfPrecisionWeightsAreConvertedToFloat32()
    {
        using var scope = NewDisposeScope();
        var weights = Doubled(withBatchCounters: false).ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float16));
        weights["Conv2d_1a_3x3.conv.weight"] = full(32, 3, 3, 3, 0.25, dtype: ScalarType.Float16);
        _net.LoadWeights(weights, Source);
        var w = _net.state_dict()["Conv2d_1a_3x3.conv.weight"];
        Assert.That(w.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(w.eq(0.25f).all().item<bool>(), Is.True);
    }

    [Test]
    public void EveryProblemIsReportedByKeyBeforeAnythingIsCopied()
    {
        using var scope = NewDisposeScope();
        var weights = Doubled(withBatchCounters: false);
        weights.Remove("Mixed_6c.branch7x7_2.conv.weight");
        weights["Mixed_8a.branch1x1.conv.weight"] = zeros(8, 8, 1, 1);
        weights["Conv2d_1a_3x3.conv.weight"] = zeros(32, 1, 3, 3);
        weights["Mixed_7c.branch_pool.bn.running_mean"] = zeros(new long[] { 192 }, dtype: ScalarType.Int64);
        var before = Probe();
        var error = Assert.Throws<InceptionWeightsException>(() => _net.LoadWeights(weights, Source))!;
        Assert.That(error.Message, Does.StartWith(Source));
        Assert.That(error.Message, Does.Contain("1 missing keys: Mixed_6c.branch7x7_2.conv.weight"));
        Assert.That(error.Message, Does.Contain("1 unexpected keys: Mixed_8a.branch1x1.conv.weight"));
        Assert.That(error.Message, Does.Contain("Conv2d_1a_3x3.conv.weight: expected (32, 3, 3, 3), got (32, 1, 3, 3)"));
        Assert.That(error.Message, Does.Contain("Mixed_7c.branch_pool.bn.running_mean: expected a floating-point tensor, got Int64"));
        Assert.That(error.Message, Does.Contain("docs/evaluation-inception.md"));
        Assert.That(Probe(), Is.EqualTo(before), "a rejected dictionary changes nothing");
    }

    [Test]
    public void LongListsAreCutAndWrapperKeysGetAHint()
    {
        using var scope = NewDisposeScope();
        var wrapped = Doubled(withBatchCounters: false).ToDictionary(kv => "blocks.0.0." + kv.Key, kv => kv.Value);
        var error = Assert.Throws<InceptionWeightsException>(() => _net.LoadWeights(wrapped, Source))!;
        Assert.That(error.Message, Does.Contain("470 missing keys"));
        Assert.That(error.Message, Does.Contain("and 458 more"));
        Assert.That(error.Message, Does.Contain("pytorch-fid's InceptionV3 wrapper"));
        Assert.That(error.Message.Length, Is.LessThan(3000), "a readable message, not 940 keys");
    }
}
