using LddGan.Engine.Runtime.NativeTorch;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Runtime;

public sealed class LibTorchLoaderTests
{
    private static string NativeFolder() => Path.Combine(TestContext.CurrentContext.TestDirectory, "runtimes", "linux-x64", "native");

    [Test]
    public void TheBundledLibTorchIsLoadedByFullPath()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("libtorch is located by lddgan on Linux only");
        var loaded = LibTorchSetUp.Loaded!;
        Assert.That(loaded.Source, Is.EqualTo(LibTorchSource.Bundled));
        Assert.That(loaded.Version, Does.StartWith("2.10"));
        var mapped = CudaInventory.MappedLibraries().Where(p => Path.GetFileName(p).StartsWith("libtorch_cpu.so")).ToList();
        Assert.That(mapped, Is.EqualTo(new[] { Path.Combine(loaded.Directory, "libtorch_cpu.so") }),
                    "exactly one libtorch_cpu, the bundled one, whatever else the machine has installed");
    }

    [Test]
    public void TheSymbolReaderListsWhatLibTorchSharpNeedsFromLibTorch()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("ELF files on Linux only");
        var undefined = ElfDynamicSymbols.Undefined(Path.Combine(NativeFolder(), "libLibTorchSharp.so"));
        Assert.That(undefined, Has.Count.GreaterThan(1000));
        Assert.That(undefined.Any(s => s.StartsWith("_ZN2at4_ops", StringComparison.Ordinal)), Is.True, "ATen operators come from libtorch");
        Assert.That(undefined, Does.Not.Contain("THSTensor_conv2d"), "its own exports are defined, not needed");
        Assert.Throws<InvalidDataException>(() => ElfDynamicSymbols.Undefined(Path.Combine(TestContext.CurrentContext.TestDirectory, "LddGan.Tests.dll")));
    }

    [Test]
    public void TheBundledBuildRefusesAnInstalledLibTorchWithAClearMessage()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("libtorch is located by lddgan on Linux only");
        Environment.SetEnvironmentVariable(LibTorchLoader.DirectoryVariable, "/opt/some/torch/lib");
        try
        {
            var e = Assert.Throws<LibTorchLoadException>(() => LibTorchLoader.Load())!;
            Assert.That(e.Message, Does.Contain("bundles its own libtorch").And.Contain("TorchBackend=external"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(LibTorchLoader.DirectoryVariable, null);
        }
    }

    [Test]
    public void CpuConvolutionGradientsAreRightOnceTheOneDnnCheckHasRun()
    {
        // On CPUs where libtorch 2.10's oneDNN returns wrong gradients for few-output-channel convolutions, the check
        // switches oneDNN off; elsewhere it changes nothing. Either way these gradients must now be right.
        OneDnnGradientCheck.EnsureCorrectGradients(CPU);
        using var scope = NewDisposeScope();
        var generator = new Generator(3);
        foreach (var (batch, side, outChannels) in new[] { (32, 32, 1), (32, 32, 2), (8, 16, 3) })
        {
            var x = randn([batch, 16, side, side], generator: generator);
            var w = randn([outChannels, 16, 3, 3], generator: generator) * 0.1;
            var dy = randn([batch, outChannels, side, side], generator: generator);
            Tensor Gradient(ScalarType type)
            {
                var input = x.to(type).requires_grad_(true);
                var y = nn.functional.conv2d(input, w.to(type).requires_grad_(true), padding: [1, 1]);
                return autograd.grad([(y * dy.to(type)).sum()], [input])[0].to(ScalarType.Float64);
            }
            var exact = Gradient(ScalarType.Float64);
            double error = ((Gradient(ScalarType.Float32) - exact).abs().max() / exact.abs().max()).item<double>();
            Assert.That(error, Is.LessThan(1e-5), $"16→{outChannels} channels, batch {batch}, {side}×{side}");
        }
    }
}
