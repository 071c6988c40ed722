using NUnit.Framework;
using TorchSharp;

namespace LddGan.Tests;

public sealed class TorchLoadsTests
{
    [Test]
    public void LibTorchInitialisesAndComputes()
    {
        using var a = torch.ones(2, 3);
        using var b = torch.ones(3, 4);
        using var c = a.matmul(b);
        Assert.That(c.sum().item<float>(), Is.EqualTo(24f));
    }
}
