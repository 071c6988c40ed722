using LddGan.Plugins.Ddgan;
using NUnit.Framework;
using TorchSharp;
using static LddGan.Tests.Networks.NetworkTestHelpers;
using static TorchSharp.torch;

namespace LddGan.Tests.Networks;

[NonParallelizable]
public sealed class DiscriminatorTests
{
    [Test]
    public void SmallDiscriminatorHasTheOfficialParameterCount()
    {
        using var d = OnMeta(() => new SmallDiscriminator(new SmallDiscriminatorOptions(), nc: 6));
        var count = CountParameters(d);
        TestContext.Out.WriteLine($"Discriminator_small (nc 6) parameters: {count:N0}");
        Assert.That(count, Is.EqualTo(12_741_633L));
    }

    [Test]
    public void LargeDiscriminatorHasTheOfficialParameterCount()
    {
        using var d = OnMeta(() => new LargeDiscriminator(new LargeDiscriminatorOptions(), nc: 6));
        var count = CountParameters(d);
        TestContext.Out.WriteLine($"Discriminator_large (nc 6) parameters: {count:N0}");
        Assert.That(count, Is.EqualTo(27_737_217L));
    }

    [TestCase(24, 7_630_593L)]   // WDDGAN CIFAR-10: 3 layers on 12-channel wavelet inputs
    [TestCase(8, 7_628_545L)]    // LDDGAN CIFAR-10: 3 layers on 4-channel latents
    public void ThreeLayerSmallDiscriminatorMatchesWddganAndLddgan(int nc, long expected)
    {
        using var d = OnMeta(() => new SmallDiscriminator(new SmallDiscriminatorOptions { NumLayers = 3 }, nc));
        Assert.That(CountParameters(d), Is.EqualTo(expected));
    }

    [Test]
    public void FiveLayerLargeDiscriminatorMatchesWddgan()
    {
        using var d = OnMeta(() => new LargeDiscriminator(new LargeDiscriminatorOptions { NumLayers = 5 }, nc: 24));
        Assert.That(CountParameters(d), Is.EqualTo(22_626_177L));
    }

    [Test]
    public void StateDictUsesTheOfficialKeys()
    {
        using var small = OnMeta(() => new SmallDiscriminator(new SmallDiscriminatorOptions(), 6));
        var s = Shapes(small);
        Assert.That(s, Has.Count.EqualTo(38));
        var expected = new Dictionary<string, long[]>
        {
            ["t_embed.main.0.weight"] = [256, 256],
            ["t_embed.main.2.bias"] = [256],
            ["start_conv.weight"] = [128, 6, 1, 1],
            ["conv1.conv1.0.weight"] = [128, 128, 3, 3],
            ["conv1.dense_t1.weight"] = [128, 256],
            ["conv1.skip.0.weight"] = [128, 128, 1, 1],
            ["conv2.conv2.0.weight"] = [256, 256, 3, 3],
            ["conv3.skip.0.weight"] = [512, 256, 1, 1],
            ["conv4.conv1.0.bias"] = [512],
            ["final_conv.weight"] = [512, 513, 3, 3],
            ["end_linear.weight"] = [1, 512],
            ["end_linear.bias"] = [1],
        };
        foreach (var (key, shape) in expected)
            Assert.That(s.TryGetValue(key, out var actual) ? actual : null, Is.EqualTo(shape), key);
        Assert.That(s.Keys, Has.None.EndsWith("skip.0.bias"));

        using var large = OnMeta(() => new LargeDiscriminator(new LargeDiscriminatorOptions(), 6));
        var l = Shapes(large);
        Assert.That(l, Has.Count.EqualTo(52));
        Assert.That(l["conv1.conv1.0.weight"], Is.EqualTo(new long[] { 256, 128, 3, 3 }));
        Assert.That(l["conv6.dense_t1.weight"], Is.EqualTo(new long[] { 512, 256 }));
        using var large4 = OnMeta(() => new LargeDiscriminator(new LargeDiscriminatorOptions { NumLayers = 4 }, 6));
        Assert.That(Shapes(large4).Keys, Has.None.StartsWith("conv5.").And.Some.StartsWith("conv4."));
    }

    [Test]
    public void FinalConvInitialisationDiffersBetweenSmallAndLarge()
    {
        torch.manual_seed(21);
        using var small = new SmallDiscriminator(new SmallDiscriminatorOptions { Ngf = 8, TEmbDim = 16 }, 6);
        using var large = new LargeDiscriminator(new LargeDiscriminatorOptions { Ngf = 8, TEmbDim = 16 }, 6);
        Assert.That(small.state_dict()["final_conv.weight"].abs().max().item<float>(), Is.LessThan(1e-4f), "init_scale 0 in Discriminator_small");
        Assert.That(large.state_dict()["final_conv.weight"].abs().max().item<float>(), Is.GreaterThan(1e-2f), "default init in Discriminator_large");
        Assert.That(small.state_dict()["conv1.conv2.0.weight"].abs().max().item<float>(), Is.LessThan(1e-4f), "conv2 of every block starts near zero");
    }

    [Test]
    public void SmallDiscriminatorGivesOneLogitPerSampleAndUsesEveryParameter()
    {
        torch.manual_seed(22);
        using var d = new SmallDiscriminator(new SmallDiscriminatorOptions { Ngf = 8, TEmbDim = 16 }, nc: 2);
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (var p in d.parameters()) p.normal_(0, 0.1);
        var logits = d.call(randn(4, 1, 32, 32), tensor(new long[] { 0, 1, 2, 3 }), randn(4, 1, 32, 32));
        Assert.That(logits.shape, Is.EqualTo(new long[] { 4, 1 }));
        logits.sum().backward();
        var missing = d.named_parameters().Where(p => p.parameter.grad is null || p.parameter.grad.abs().max().item<float>() == 0f)
            .Select(p => p.name).ToList();
        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void LogitsDependOnTimeAndCondition()
    {
        torch.manual_seed(23);
        using var d = new LargeDiscriminator(new LargeDiscriminatorOptions { Ngf = 4, TEmbDim = 16, NumLayers = 3 }, nc: 2);
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (var p in d.parameters()) p.normal_(0, 0.1);
        var x = randn(4, 1, 16, 16);
        var cond = randn(4, 1, 16, 16);
        var t = tensor(new long[] { 0, 1, 2, 3 });
        var baseLogits = d.call(x, t, cond);
        Assert.That(baseLogits.shape, Is.EqualTo(new long[] { 4, 1 }));
        Assert.That((d.call(x, t.flip(0), cond) - baseLogits).abs().max().item<float>(), Is.GreaterThan(1e-5f));
        Assert.That((d.call(x, t, randn(4, 1, 16, 16)) - baseLogits).abs().max().item<float>(), Is.GreaterThan(1e-5f));
    }

    [Test]
    public void ConvDiscriminatorGivesOneLogitPerSampleDependsOnTimeAndConditionAndUsesEveryParameter()
    {
        torch.manual_seed(25);
        using var d = new ConvDiscriminator(new ConvDiscriminatorOptions { Ch = 8, NumLayers = 3 }, new(1, 32, 32), numTimesteps: 4);
        using var scope = NewDisposeScope();
        var x = randn(4, 1, 32, 32);
        var cond = randn(4, 1, 32, 32);
        var t = tensor(new long[] { 0, 1, 2, 3 });
        var logits = d.call(x, t, cond);
        Assert.That(logits.shape, Is.EqualTo(new long[] { 4, 1 }));
        using (no_grad())
        {
            Assert.That((d.call(x, t.flip(0), cond) - logits).abs().max().item<float>(), Is.GreaterThan(1e-5f));
            Assert.That((d.call(x, t, randn(4, 1, 32, 32)) - logits).abs().max().item<float>(), Is.GreaterThan(1e-5f));
        }
        logits.sum().backward();
        var missing = d.named_parameters().Where(p => p.parameter.grad is null || p.parameter.grad.abs().max().item<float>() == 0f)
            .Select(p => p.name).ToList();
        Assert.That(missing, Is.Empty);
        Assert.That(d.named_parameters().Select(p => p.name), Does.Contain("end_linear.weight").And.Contain("blocks.norm1.weight"));
    }

    [Test]
    public void ConvDiscriminatorWithAStddevGroupJudgesEachSampleWithTheOthersOfItsGroup()
    {
        torch.manual_seed(26);
        using var plain = new ConvDiscriminator(new ConvDiscriminatorOptions { Ch = 8, NumLayers = 2 }, new(1, 16, 16), numTimesteps: 4);
        using var grouped = new ConvDiscriminator(new ConvDiscriminatorOptions { Ch = 8, NumLayers = 2, StddevGroup = 4 }, new(1, 16, 16), numTimesteps: 4);
        plain.eval();     // BatchNorm from running statistics, so only the stddev channel couples the samples
        grouped.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = randn(8, 1, 16, 16);
        var cond = randn(8, 1, 16, 16);
        var t = tensor(new long[] { 0, 1, 2, 3, 0, 1, 2, 3 });
        // Batch 8 in groups of 4: samples 0, 2, 4, 6 form one group (slot b mod 8/4), 1, 3, 5, 7 the other.
        var sameGroup = x.clone();
        sameGroup[2] = randn(1, 16, 16);
        var otherGroup = x.clone();
        otherGroup[1] = randn(1, 16, 16);
        float Change(ConvDiscriminator d, Tensor changed) => (d.call(changed, t, cond)[0] - d.call(x, t, cond)[0]).abs().item<float>();

        Assert.That(Change(grouped, sameGroup), Is.GreaterThan(1e-6f), "sample 0's logit must see sample 2 (same group)");
        Assert.That(Change(grouped, otherGroup), Is.EqualTo(0f), "sample 0's logit must not see sample 1 (other group)");
        Assert.That(Change(plain, sameGroup), Is.EqualTo(0f), "without the stddev channel each sample is judged alone");
        Assert.That(grouped.named_parameters().Single(p => p.name == "end_linear.weight").parameter.shape[1],
            Is.EqualTo((16 + 1) * 4 * 4), "the stddev map is one more channel of the last 4x4 feature map");

        var error = Assert.Throws<ArgumentException>(() => grouped.call(randn(6, 1, 16, 16), t[..6], randn(6, 1, 16, 16)))!;
        Assert.That(error.Message, Does.Contain("divisible").And.Contain("batch_size").And.Contain("multiple of 4"));
        Assert.That(string.Join("; ", new ConvDiscriminatorOptions { StddevGroup = -1 }.Validate()), Does.Contain("stddev_group"));
    }

    [Test]
    public void ConvDiscriminatorWithoutNormJudgesEachSampleAloneInTraining()
    {
        torch.manual_seed(27);
        using var batchNorm = new ConvDiscriminator(new ConvDiscriminatorOptions { Ch = 8, NumLayers = 3 }, new(1, 16, 16), numTimesteps: 4);
        using var noNorm = new ConvDiscriminator(new ConvDiscriminatorOptions { Ch = 8, NumLayers = 3, Norm = "none" }, new(1, 16, 16), numTimesteps: 4);
        batchNorm.train();   // as the trainer calls it: statistics of the batch
        noNorm.train();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = randn(4, 1, 16, 16);
        var cond = randn(4, 1, 16, 16);
        var t = tensor(new long[] { 0, 1, 2, 3 });
        var othersChanged = x.clone();
        othersChanged[1..] = othersChanged[1..] * 0.5f;   // the rest of the batch with less contrast
        float Change(ConvDiscriminator d) => (d.call(othersChanged, t, cond)[0] - d.call(x, t, cond)[0]).abs().item<float>();

        Assert.That(Change(batchNorm), Is.GreaterThan(1e-4f), "BatchNorm judges sample 0 with the statistics of its batch");
        Assert.That(Change(noNorm), Is.EqualTo(0f), "without normalisation sample 0's logit depends on sample 0 alone");
        var names = noNorm.named_parameters().Select(p => p.name).ToList();
        Assert.That(names, Does.Contain("blocks.conv1.bias").And.Contain("blocks.conv2.bias"));
        Assert.That(names.Any(n => n.Contains("norm")), Is.False);
        Assert.That(batchNorm.named_parameters().Select(p => p.name), Does.Contain("blocks.norm1.weight").And.Not.Contain("blocks.conv1.bias"),
            "the default keeps the parameter names of existing checkpoints");
        Assert.That(string.Join("; ", new ConvDiscriminatorOptions { Norm = "layer" }.Validate()), Does.Contain("norm 'layer'").And.Contain("batch, none"));
    }

    [Test]
    public void ConvDiscriminatorRejectsShapesItCannotHalveAndBadOptions()
    {
        var error = Assert.Throws<ArgumentException>(() => new ConvDiscriminator(new ConvDiscriminatorOptions { NumLayers = 3 }, new(1, 28, 28), 4))!;
        Assert.That(error.Message, Does.Contain("conv-small").And.Contain("num_layers").And.Contain("28"));
        Assert.That(string.Join("; ", new ConvDiscriminatorOptions { Ch = 0, NumLayers = 9 }.Validate()),
            Does.Contain("ch must be").And.Contain("num_layers must lie in [1, 6]"));
    }

    [Test]
    public void InvalidInputsAndOptionsAreRejected()
    {
        var error = string.Join("; ", new SmallDiscriminatorOptions { NumLayers = 5 }.Validate());
        Assert.That(error, Does.Contain("num_layers").And.Contain("[3, 4]"));
        Assert.That(string.Join("; ", new LargeDiscriminatorOptions { NumLayers = 2 }.Validate()), Does.Contain("[3, 6]"));
        Assert.That(string.Join("; ", new LargeDiscriminatorOptions { Ngf = 0, TEmbDim = 2 }.Validate()), Does.Contain("ngf").And.Contain("t_emb_dim"));
        Assert.That(new SmallDiscriminatorOptions().NumLayers, Is.EqualTo(4));
        Assert.That(new LargeDiscriminatorOptions().NumLayers, Is.EqualTo(6));
        Assert.Throws<ArgumentException>(() => new SmallDiscriminator(new SmallDiscriminatorOptions { NumLayers = 6 }, 6));
        using var d = new SmallDiscriminator(new SmallDiscriminatorOptions { Ngf = 4, TEmbDim = 8 }, nc: 2);
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => d.call(randn(6, 1, 16, 16), zeros(6, dtype: ScalarType.Int64), randn(6, 1, 16, 16)),
            "minibatch stddev needs a batch divisible by 4");
        Assert.Throws<ArgumentException>(() => d.call(randn(4, 2, 16, 16), zeros(4, dtype: ScalarType.Int64), randn(4, 2, 16, 16)),
            "wrong channel count");
    }

    [Test]
    public void ConvertedDiscriminatorRunsInFloat64()
    {
        torch.manual_seed(24);
        using var d = new SmallDiscriminator(new SmallDiscriminatorOptions { Ngf = 4, TEmbDim = 8 }, nc: 2);
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (var p in d.parameters()) p.normal_(0, 0.1);
        var x = randn(4, 1, 16, 16);
        var t = tensor(new long[] { 0, 1, 2, 3 });
        var single = d.call(x, t, x);
        Assert.That(single.abs().max().item<float>(), Is.GreaterThan(1e-3f));
        d.to(ScalarType.Float64);
        var dbl = d.call(x.to_type(ScalarType.Float64), t, x.to_type(ScalarType.Float64));
        Assert.That(dbl.dtype, Is.EqualTo(ScalarType.Float64));
        // rtol 2e-3: some CPUs' float32 convolution kernels are accurate to only ~3e-4 here (AVX-512 AMD EPYC, final_conv).
        Assert.That(dbl.to_type(ScalarType.Float32).allclose(single, rtol: 2e-3, atol: 1e-6), Is.True);
    }

    [Test]
    public void ForwardDoesNotLeakTensors()
    {
        using var d = new SmallDiscriminator(new SmallDiscriminatorOptions { Ngf = 4, TEmbDim = 8 }, nc: 2);
        using var x = randn(4, 1, 16, 16);
        using var t = zeros(4, dtype: ScalarType.Int64);
        using (d.call(x, t, x)) { }
        DisposeScopeManager.Statistics.Reset();
        using (d.call(x, t, x)) { }
        Assert.That(DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(0));
    }
}
