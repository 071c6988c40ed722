using LddGan.Plugins.Ddgan;
using NUnit.Framework;
using TorchSharp;
using static LddGan.Tests.Networks.NetworkTestHelpers;
using static TorchSharp.torch;

namespace LddGan.Tests.Networks;

public sealed class ToyMlpTests
{
    [Test]
    public void GeneratorMapsPointsToPoints()
    {
        torch.manual_seed(31);
        using var g = new ToyMlpGenerator(new ToyMlpGeneratorOptions());
        using var scope = NewDisposeScope();
        var x = randn(5, 2);
        var t = tensor(new long[] { 0, 1, 2, 3, 0 });
        var z = randn(5, g.NoiseDim);
        var y = g.call(x, t, z);
        Assert.That(y.shape, Is.EqualTo(new long[] { 5, 2 }));
        Assert.That(g.NoiseDim, Is.EqualTo(16));
        Assert.That((g.call(x, t, randn(5, g.NoiseDim)) - y).abs().max().item<float>(), Is.GreaterThan(1e-5f), "z matters");
        Assert.That((g.call(x, t.flip(0), z) - y).abs().max().item<float>(), Is.GreaterThan(1e-5f), "t matters");
        // input = 2 + nz 16 + t_emb 32; 3 hidden layers of 256; output 2
        Assert.That(CountParameters(g), Is.EqualTo(50 * 256 + 256 + 2 * (256 * 256 + 256) + 256 * 2 + 2));
        Assert.That(g.state_dict().Keys, Is.SupersetOf(new[] { "net.0.weight", "net.2.weight", "net.4.weight", "net.6.bias" }));
    }

    [Test]
    public void DiscriminatorGivesOneLogitAndTrainsEveryParameter()
    {
        torch.manual_seed(32);
        using var d = new ToyMlpDiscriminator(new ToyMlpDiscriminatorOptions { HiddenDim = 128, NumHiddenLayers = 2 });
        using var scope = NewDisposeScope();
        var logits = d.call(randn(6, 2), tensor(new long[] { 0, 1, 2, 3, 0, 1 }), randn(6, 2));
        Assert.That(logits.shape, Is.EqualTo(new long[] { 6, 1 }));
        logits.sum().backward();
        Assert.That(d.parameters().All(p => p.grad is not null && p.grad.abs().max().item<float>() > 0), Is.True);
        Assert.That(d.Options.Activation, Is.EqualTo("leaky_relu"));
    }

    [Test]
    public void OptionsAndShapesAreChecked()
    {
        Assert.That(string.Join("; ", new ToyMlpGeneratorOptions { Activation = "relu" }.Validate()), Does.Contain("activation").And.Contain("silu, leaky_relu"));
        Assert.That(string.Join("; ", new ToyMlpGeneratorOptions { Nz = 0, HiddenDim = 0 }.Validate()), Does.Contain("nz").And.Contain("hidden_dim"));
        Assert.That(new ToyMlpDiscriminatorOptions().Validate(), Is.Empty);
        using var g = new ToyMlpGenerator(new ToyMlpGeneratorOptions { HiddenDim = 8 });
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => g.call(randn(3, 3), zeros(3, dtype: ScalarType.Int64), randn(3, 16)));
        Assert.Throws<ArgumentException>(() => g.call(randn(3, 2), zeros(3, dtype: ScalarType.Int64), randn(3, 4)));
    }

    [Test]
    public void FourierFeaturesWidenTheDiscriminatorInput()
    {
        torch.manual_seed(33);
        using var d = new ToyMlpDiscriminator(new ToyMlpDiscriminatorOptions());
        Assert.That(d.Options.FourierOctaves, Is.EqualTo(6));
        // input = 2 × (2 coordinates × (1 + 2·6 octaves)) + t_emb 32 = 84
        Assert.That(d.state_dict()["net.0.weight"].shape, Is.EqualTo(new long[] { 256, 84 }));
        using var plain = new ToyMlpDiscriminator(new ToyMlpDiscriminatorOptions { FourierOctaves = 0 });
        Assert.That(plain.state_dict()["net.0.weight"].shape, Is.EqualTo(new long[] { 256, 36 }));
        Assert.That(string.Join("; ", new ToyMlpDiscriminatorOptions { FourierOctaves = 17 }.Validate()), Does.Contain("fourier_octaves"));
    }
}
