using System.Text.RegularExpressions;
using LddGan.Engine.Diffusion;
using LddGan.Engine.Runtime;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Tests.Runtime;

/// <summary>
/// TorchSharp 0.107 makes a CPU generator even when asked for a CUDA one (while <c>Generator.device</c> says CUDA), and
/// every CUDA draw with it then fails. The framework therefore makes only CPU generators and copies what they draw.
/// CI has no GPU: these tests guard the CPU side of that rule.
/// </summary>
public sealed class RandomStreamsTests
{
    [Test]
    public void EveryStreamOfARunIsACpuGenerator()
    {
        using var streams = new RandomStreams(5);
        foreach (var (name, generator) in streams.All())
            Assert.That(generator.device.type, Is.EqualTo(DeviceType.CPU), name);
    }

    [Test]
    public void NoSourceMakesAGeneratorForADevice()
    {
        var root = RepositoryRoot.Find();
        var withDevice = new Regex(@"new\s+(torch\.)?Generator\s*\([^()]*,");
        var offenders = new[] { "host", "plugins", "abstractions", "recipes" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs*", SearchOption.AllDirectories))
            .Where(file => (file.EndsWith(".cs") || file.EndsWith(".csx")) && !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                           && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .SelectMany(file => File.ReadLines(file).Select((line, i) => (file, line, i)))
            .Where(x => withDevice.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(root, x.file)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.That(offenders, Is.Empty, "a Generator made with a device is a CPU generator that claims another device");
    }

    [Test]
    public void DrawsForTheCpuAreTheGeneratorsOwnNumbers()
    {
        using var a = new Generator(9);
        using var b = new Generator(9);
        using var expected = randn([3, 4], generator: a);
        using var drawn = GeneratorNoise.Normal([3, 4], ScalarType.Float32, CPU, b);
        Assert.That(drawn.equal(expected).all().item<bool>(), Is.True);
        using var integers = GeneratorNoise.Integers(0, 4, [1000], CPU, b);
        Assert.That(integers.dtype, Is.EqualTo(ScalarType.Int64));
        Assert.That(integers.min().item<long>(), Is.EqualTo(0));
        Assert.That(integers.max().item<long>(), Is.EqualTo(3));
    }

    [Test]
    public void TheSameSeedGivesTheSameStreamAfterAnyNumberOfRuns()
    {
        using var first = new RandomStreams(21);
        using var second = new RandomStreams(21);
        using var x = GeneratorNoise.Normal([5], ScalarType.Float32, CPU, first.Noise);
        using var y = GeneratorNoise.Normal([5], ScalarType.Float32, CPU, second.Noise);
        Assert.That(x.equal(y).all().item<bool>(), Is.True);
    }
}

/// <summary>The repository's root folder (the one holding LddGan.Framework.sln), found above the test directory.</summary>
internal static class RepositoryRoot
{
    public static string Find()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LddGan.Framework.sln"))) dir = dir.Parent;
        Assert.That(dir, Is.Not.Null, "repository root not found above the test directory");
        return dir!.FullName;
    }
}
