using NUnit.Framework;
using TorchSharp;

namespace LddGan.Tests.Networks;

/// <summary>
/// The networks under test here are tiny; on a busy 2-core machine libtorch's intra-op thread pool spends more time
/// waiting for a core than computing (a 16×16 NCSN++ forward measured 200–450 ms with 2 threads, 15–20 ms with 1).
/// Run this namespace single-threaded and restore the previous setting afterwards.
/// </summary>
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
