using LddGan.Engine.Runtime.NativeTorch;
using NUnit.Framework;
using TorchSharp;
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
        // On CPUs where libtorch 2.10's oneDNN returns wrong input gradients for convolutions whose channel counts are
        // not multiples of 16, the check aligns the trained networks' convolutions (or switches oneDNN off); elsewhere
        // it changes nothing. Either way the gradients through these layers must now be right.
        using var scope = NewDisposeScope();
        var generator = new Generator(3);
        foreach (var (batch, side, outChannels, strided) in new[] { (32, 32, 1L, false), (32, 32, 2L, false), (8, 16, 3L, false), (4, 8, 17L, false), (4, 8, 33L, true), (4, 8, 48L, true) })
        {
            var network = nn.Sequential(("conv", nn.Conv2d(16, outChannels, 3, padding: 1)), ("act", nn.SiLU()),
                                        ("out", strided ? nn.Conv2d(outChannels, 32, 4, stride: 2, padding: 1)
                                                        : nn.Conv2d(outChannels, outChannels, 3, padding: 1)));
            string? note = OneDnnGradientCheck.EnsureCorrectGradients(CPU, network);
            if (Environment.GetEnvironmentVariable(OneDnnGradientCheck.Variable) is null)
                Assert.That(note ?? "", Does.Not.Contain("switched off"), "the aligned convolutions are right: oneDNN stays on");
            var x = randn([batch, 16, side, side], generator: generator);
            var dy = randn(network.call(x).shape, generator: generator);
            Tensor Gradient(ScalarType type)
            {
                network.to(type);
                var input = x.to(type).requires_grad_(true);
                return autograd.grad([(network.call(input) * dy.to(type)).sum()], [input])[0].to(ScalarType.Float64);
            }
            var exact = Gradient(ScalarType.Float64);
            double error = ((Gradient(ScalarType.Float32) - exact).abs().max() / exact.abs().max()).item<double>();
            Assert.That(error, Is.LessThan(1e-5), $"16→{outChannels} channels{(strided ? " then a strided convolution" : "")}, batch {batch}, {side}×{side}");
        }
    }

    [Test]
    public void AnAlignedConvolutionGivesThePlainOutputAndGradients()
    {
        // Checked in float64, which oneDNN does not handle: the reference is libtorch's own convolution.
        var generator = new Generator(5);
        foreach (var (inChannels, outChannels) in new[] { (8L, 3L), (33L, 32L), (17L, 5L), (48L, 16L) })
        {
            var x = randn([2, inChannels, 9, 9], ScalarType.Float64, generator: generator).requires_grad_(true);
            var w = randn([outChannels, inChannels, 3, 3], ScalarType.Float64, generator: generator).requires_grad_(true);
            var b = randn([outChannels], ScalarType.Float64, generator: generator).requires_grad_(true);
            Assert.That(LddGan.Layers.ChannelAlignedConvolution.Applies(inChannels, outChannels, 1), Is.True);
            var plain = nn.functional.conv2d(x, w, b, strides: [2, 2], padding: [1, 1]);
            var aligned = LddGan.Layers.ChannelAlignedConvolution.Conv2d(x, w, b, [2, 2], [1, 1], [1, 1], 1);
            Assert.That(aligned.shape, Is.EqualTo(plain.shape));
            Assert.That((aligned - plain).abs().max().item<double>(), Is.LessThan(1e-12));
            var dy = randn(plain.shape, ScalarType.Float64, generator: generator);
            var g1 = autograd.grad([(plain * dy).sum()], [x, w, b]);
            var g2 = autograd.grad([(aligned * dy).sum()], [x, w, b]);
            for (int i = 0; i < 3; i++)
                Assert.That((g1[i] - g2[i]).abs().max().item<double>(), Is.LessThan(1e-12), $"{inChannels}→{outChannels}: gradient {i}");
        }
    }
}
