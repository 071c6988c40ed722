using LddGan.Engine.Training;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Tests.Training;

public sealed class GradientClippingTests
{
    /// <summary>Two copies of a small network with the same gradients, scaled so that their norm is <paramref name="gradientScale"/> times the seed's.</summary>
    private static (nn.Module<Tensor, Tensor> A, nn.Module<Tensor, Tensor> B) TwinsWithGradients(float gradientScale)
    {
        torch.manual_seed(7);
        var a = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3));
        var b = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3));
        b.load_state_dict(a.state_dict());
        using var g = new Generator(3);
        using var x = randn([4, 5], generator: g);
        foreach (var m in new[] { a, b })
        {
            using var loss = m.call(x).square().sum() * gradientScale;
            loss.backward();
        }
        return (a, b);
    }

    private static float[][] Gradients(nn.Module module) =>
        module.parameters().Select(p => { using var grad = p.grad!; return grad.data<float>().ToArray(); }).ToArray();

    [TestCase(1e3f, TestName = "Clipping: a gradient above the limit is scaled exactly as libtorch's clip_grad_norm_ scales it")]
    [TestCase(1e-3f, TestName = "Clipping: a gradient below the limit is left exactly as libtorch's clip_grad_norm_ leaves it")]
    public void ClipGradNormMatchesLibtorchBitForBit(float gradientScale)
    {
        var (ours, reference) = TwinsWithGradients(gradientScale);
        var before = Gradients(ours);
        GradientClipping.ClipGradNorm(ours.parameters(), 1.0);
        double norm = nn.utils.clip_grad_norm_(reference.parameters(), 1.0);
        var after = Gradients(ours);
        Assert.Multiple(() =>
        {
            Assert.That(after, Is.EqualTo(Gradients(reference)), "the same floats as libtorch");
            if (norm > 1.0) Assert.That(after, Is.Not.EqualTo(before), "the case clips");
            else Assert.That(after, Is.EqualTo(before), "the case does not clip");
        });
    }
}
