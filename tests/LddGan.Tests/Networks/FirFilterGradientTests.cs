using LddGan.Layers;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Networks;

/// <summary>
/// Under autograd the FIR filter runs as separable weighted sums (exact gradients on every CPU, cheap double backward
/// for R1); without it, as the grouped convolution the shipped models were checked with. Both must agree.
/// </summary>
public sealed class FirFilterGradientTests
{
    private static readonly FirFilter Filter = new();

    private static Tensor Apply(string map, Tensor x) => map switch
    {
        "down" => Filter.Downsample2d(x),
        "up" => Filter.Upsample2d(x),
        _ => Filter.Blur(x),
    };

    [TestCase("down", 1), TestCase("down", 3), TestCase("down", 16)]
    [TestCase("blur", 1), TestCase("blur", 3), TestCase("blur", 16)]
    [TestCase("up", 1), TestCase("up", 3)]
    public void FloatGradientsMatchDoubleGradients(string map, int channels)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(5);
        var x = randn([4, channels, 8, 8], generator: generator);
        var probe = Apply(map, x);
        var dy = randn(probe.shape, generator: generator);
        Tensor Gradient(ScalarType type)
        {
            var input = x.to(type).requires_grad_(true);
            return autograd.grad([(Apply(map, input) * dy.to(type)).sum()], [input])[0].to(ScalarType.Float64);
        }
        var exact = Gradient(ScalarType.Float64);
        double error = ((Gradient(ScalarType.Float32) - exact).abs().max() / exact.abs().max()).item<double>();
        Assert.That(error, Is.LessThan(1e-5));
    }

    [TestCase("down"), TestCase("blur"), TestCase("up")]
    public void OutputsWithAndWithoutAutogradAgree(string map)
    {
        using var scope = NewDisposeScope();
        var x = randn([2, 3, 8, 8], generator: new Generator(6));
        Tensor plain;
        using (no_grad()) plain = Apply(map, x);
        var traced = Apply(map, x.requires_grad_(true));
        Assert.That(traced.requires_grad, Is.True);
        Assert.That(traced.detach().allclose(plain, rtol: 1e-5, atol: 1e-6), Is.True);
    }

    [Test]
    public void SecondDerivativesFlowThroughTheFilter()
    {
        // R1 differentiates ‖∇x D‖² with respect to D's weights: the filter must support a double backward.
        using var scope = NewDisposeScope();
        var x = randn([2, 2, 8, 8], generator: new Generator(7)).requires_grad_(true);
        var w = (ones([2, 1, 1, 1]) * 0.5).requires_grad_(true);
        var y = Filter.Downsample2d(Filter.Blur(x) * w).pow(2).sum();
        var gx = autograd.grad([y], [x], retain_graph: true, create_graph: true)[0];   // TorchSharp does not default retain_graph to create_graph
        var gw = autograd.grad([gx.pow(2).sum()], [w])[0];
        Assert.That(gw.isfinite().all().item<bool>() && gw.abs().sum().item<float>() > 0, Is.True);
    }
}
