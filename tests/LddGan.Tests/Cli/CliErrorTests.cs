using System.Diagnostics;
using LddGan.Tests.Runtime;
using NUnit.Framework;

namespace LddGan.Tests.Cli;

/// <summary>Bad arguments and impossible requests end with a named error and exit 1, never the "internal error" path.</summary>
[NonParallelizable]
public sealed class CliErrorTests
{
    private static (int ExitCode, string Output) Run(params string[] args)
    {
        string root = RepositoryRoot.Find();
        string dll = Path.Combine(root, "host", "LddGan.Cli", "bin", "Release", "net10.0", "lddgan.dll");
        if (!File.Exists(dll)) Assert.Fail($"{dll} is not built (the test project builds it first)");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var child = System.Diagnostics.Process.Start(start)!;
        var stderr = child.StandardError.ReadToEndAsync();
        string stdout = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        return (child.ExitCode, stdout + stderr.Result);
    }

    [TestCase("0"), TestCase("-3")]
    public void SampleRefusesACountBelowOne(string n)
    {
        var (code, output) = Run("sample", "recipes/pretrained/ddgan-fashion-mnist.ckpt", "--n", n, "--out", Path.Combine(Path.GetTempPath(), "never.png"));
        Assert.That(code, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("usage error").And.Contain($"--n must be at least 1, got {n}").And.Not.Contain("internal error"));
    }

    // Output paths and step counts are checked before any work: an unwritable --out is a usage error in seconds, not an
    // "internal error" after minutes of sampling, and a file in the way of a run folder is named.
    [TestCase("--out /proc/lddgan-none/eval.json", "eval recipes/pretrained/ddgan-fashion-mnist.ckpt --n 64 --out /proc/lddgan-none/eval.json")]
    [TestCase("--json /proc/lddgan-none/b.json", "bench recipes/pretrained/ddgan-fashion-mnist.ckpt --json /proc/lddgan-none/b.json")]
    [TestCase("--repeats must be at least 1", "bench recipes/pretrained/ddgan-fashion-mnist.ckpt --repeats 0")]
    [TestCase("--output /proc/lddgan-none/x.ckpt", "export recipes/pretrained/ddgan-fashion-mnist.ckpt -o /proc/lddgan-none/x.ckpt")]
    [TestCase("--output /proc/lddgan-none", "train recipes/ddgan-quick.toml -o /proc/lddgan-none")]
    [TestCase("/etc/passwd is a file, not a folder", "train recipes/ddgan-quick.toml -o /etc/passwd/run")]
    [TestCase("--max-steps must be at least 1, got 0", "train recipes/ddgan-quick.toml --max-steps 0")]
    [TestCase("--max-steps must be at least 1, got -3", "train recipes/ddgan-quick.toml --max-steps -3")]
    [TestCase("--max-steps must be at least 1, got 0", "watch recipes/ddgan-quick.toml --max-steps 0")]
    [TestCase("--output /proc/lddgan-none/x.ckpt", "import x.pth --model ddgan --config c.json -o /proc/lddgan-none/x.ckpt")]
    [TestCase("--update /proc/lddgan-none/x.md: no such file", "schema --update /proc/lddgan-none/x.md")]
    [TestCase("which always takes its T = 4 generator steps", "sample recipes/pretrained/ddgan-fashion-mnist.ckpt --steps 5 --out /tmp/lddgan-never.png")]
    [TestCase("--class needs a class-conditional model", "sample recipes/pretrained/ddgan-fashion-mnist.ckpt --class 3 --out /tmp/lddgan-never.png")]
    [TestCase("--guidance is classifier-free guidance of a class-conditional Gaussian", "sample recipes/pretrained/ddgan-fashion-mnist.ckpt --guidance 2 --out /tmp/lddgan-never.png")]
    [TestCase("--sampler must be ancestral or ddim, got euler", "bench recipes/pretrained/ddgan-fashion-mnist.ckpt --sampler euler")]
    [TestCase("--eta must lie in [0, 1], got 2", "eval recipes/pretrained/ddgan-fashion-mnist.ckpt --eta 2")]
    [TestCase("--steps and --eta apply to the DDIM sampler", "eval recipes/pretrained/ddgan-fashion-mnist.ckpt --sampler ancestral --steps 5")]
    [TestCase("--real-data measures a dataset, not a model", "eval recipes/pretrained/ddgan-fashion-mnist.ckpt --real-data")]
    public void ABadArgumentIsAUsageErrorBeforeAnyWork(string message, string commandLine)
    {
        var clock = Stopwatch.StartNew();
        var (code, output) = Run(commandLine.Split(' '));
        Assert.That(code, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("usage error").And.Contain(message).And.Not.Contain("internal error"));
        Assert.That(clock.Elapsed.TotalSeconds, Is.LessThan(60), "refused before the work, not after");
    }

    [Test]
    public void EvalNamesAReferenceThatIsNeitherARecipeNorAFolder()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"lddgan-none-{Guid.NewGuid():N}.toml");
        var (code, output) = Run("eval", "recipes/pretrained/ddgan-fashion-mnist.ckpt", "--n", "64", "--reference", missing,
                                 "--out", Path.Combine(Path.GetTempPath(), "never.eval.json"));
        Assert.That(code, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("evaluation error").And.Contain("--reference").And.Contain("no such recipe file or folder")
                                .And.Not.Contain("internal error"));
    }

    [Test]
    public void SampleRefusesAnAutoencoderCheckpointAndSaysWhatToUse()
    {
        var (code, output) = Run("sample", "recipes/pretrained/lddgan-fashion-mnist-autoencoder.ckpt", "--n", "4", "--out", Path.Combine(Path.GetTempPath(), "never.png"));
        Assert.That(code, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("autoencoder (first-stage) checkpoint").And.Contain("lddgan-fashion-mnist.ckpt").And.Not.Contain("unknown section"));
    }

    [Test]
    public void AnImpossibleAllocationIsAMemoryError()
    {
        string recipe = Path.Combine(Path.GetTempPath(), $"lddgan-huge-{Guid.NewGuid():N}.toml");
        File.WriteAllText(recipe, """
            name = "huge"
            [data]
            type = "25-gaussians"
            count = 1024
            [generator]
            type = "toy-mlp"
            hidden_dim = 2000000000
            [discriminator]
            type = "toy-mlp"
            """);
        try
        {
            var (code, output) = Run("train", recipe, "-o", Path.Combine(Path.GetTempPath(), $"lddgan-huge-run-{Guid.NewGuid():N}"));
            Assert.That(code, Is.EqualTo(1), output);
            Assert.That(output, Does.Contain("memory error").And.Contain("GiB").And.Not.Contain("internal error"));
        }
        finally { File.Delete(recipe); }
    }
}
