using NUnit.Framework;
using TorchSharp;

namespace LddGan.Tests.Support;

/// <summary>
/// Runs a test namespace with one libtorch thread and restores the setting afterwards. The networks under test are
/// tiny; on a busy 2-core machine libtorch's intra-op pool spends more time waiting for a core than computing (a 16×16
/// NCSN++ forward measured 200–450 ms with 2 threads, 15–20 ms with 1). A namespace opts in with a one-line
/// <c>[SetUpFixture]</c> subclass.
/// </summary>
public abstract class SingleThreadFixture
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
