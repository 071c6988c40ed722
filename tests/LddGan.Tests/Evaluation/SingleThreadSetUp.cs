using NUnit.Framework;
using TorchSharp;

namespace LddGan.Tests.Evaluation;

/// <summary>Tiny tensors: one libtorch thread is faster on the busy 2-core machine (see Networks/SingleThreadSetUp).</summary>
[SetUpFixture]
public sealed class SingleThreadSetUp
{
    private int _previous;

    [OneTimeSetUp]
    public void UseOneThread()
    {
        _previous = torch.get_num_threads();
        torch.set_num_threads(1);
    }

    [OneTimeTearDown]
    public void Restore() => torch.set_num_threads(_previous);
}
