using LddGan.Engine.Runtime.NativeTorch;
using NUnit.Framework;

// No namespace: NUnit runs this once before every test of the assembly.

/// <summary>
/// Loads the bundled libtorch by full path before any test touches TorchSharp, as <c>lddgan</c> does at start-up, so
/// that no other libtorch on the machine (e.g. Debian's python3-torch in /usr/lib) is mixed into the process.
/// </summary>
[SetUpFixture]
public sealed class LibTorchSetUp
{
    public static LoadedLibTorch? Loaded { get; private set; }

    [OneTimeSetUp]
    public void LoadLibTorch() => Loaded = LibTorchLoader.Load();
}
