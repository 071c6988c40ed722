using NUnit.Framework;
using TorchSharp;

namespace LddGan.Tests.Evaluation.Inception;

/// <summary>
/// The Inception tests run one full 299×299 forward; on the shared 2-core machine a second intra-op thread mostly waits
/// for a core. Run this namespace single-threaded (as the brief's timing target assumes) and restore the setting after.
/// </summary>
[SetUpFixture]
public sealed class InceptionSingleThreadSetUp
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
