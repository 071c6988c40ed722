using System.Text.Json;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runtime;
using LddGan.Engine.Sessions;
using LddGan.Tests.Support;
using NUnit.Framework;
using TorchSharp;

namespace LddGan.Tests.Runtime;

/// <summary>Bad inputs and interrupted runs: clear errors, nothing lost, nothing left behind, nothing counted twice.</summary>
[NonParallelizable]
public sealed class RunHardeningTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("lddgan-hardening-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private static Recipe Parse(string text) => new RecipeLoader(TestCatalog.Create()).Parse(text, "r.toml");

    private static string WithTrainKey(string key) => TestCatalog.TinyRecipe.Replace("[train]\n", $"[train]\n{key}\n");

    [TestCase("lr_min = nan", "nan"), TestCase("beta1 = inf", "inf"), TestCase("beta2 = -inf", "-inf")]
    public void NonFiniteNumbersAreRefusedWithTheirPosition(string line, string shown)
    {
        var e = Assert.Throws<RecipeException>(() => Parse(WithTrainKey(line)))!;
        Assert.That(e.Message, Does.Match(@"r\.toml\(\d+,\d+\): error: \[train\] '\w+' must be a finite number, not " + System.Text.RegularExpressions.Regex.Escape(shown)));
    }

    [Test]
    public void AKeySetTwiceIsAnErrorNamingBothLines()
    {
        var e = Assert.Throws<RecipeException>(() => Parse(WithTrainKey("batch_size = 32")))!;
        Assert.That(e.Message, Does.Match(@"r\.toml\(\d+,1\): error: 'train\.batch_size' is set twice \(first at line \d+\)"));
    }

    [Test]
    public void ACheckpointDamagedAfterWritingIsRefusedNamingTheEntry()
    {
        string copy = Path.Combine(_dir, "damaged.ckpt");
        var bytes = File.ReadAllBytes(Path.Combine(RepositoryRoot.Find(), "recipes", "pretrained", "ddgan-fashion-mnist.ckpt"));
        for (int i = 0; i < 64; i++) bytes[bytes.Length / 2 + i] ^= 0x5a;   // inside the weights, which are stored uncompressed
        File.WriteAllBytes(copy, bytes);
        using var reader = LddGan.Engine.Checkpoints.CheckpointFile.Open(copy);
        var e = Assert.Throws<LddGan.Engine.Checkpoints.CheckpointException>(() =>
        {
            foreach (var module in new[] { "generator", "generator_ema", "discriminator" })
                if (reader.HasModule(module)) reader.CopyModuleBytes(module, Stream.Null);
        })!;
        Assert.That(e.Message, Does.Match(@"damaged\.ckpt: 'modules/\w+\.bin' is damaged \(its CRC-32 is [0-9a-f]{8}, the zip recorded [0-9a-f]{8}\)"));
    }

    [Test]
    public void CudaWithoutAUsableGpuIsADeviceError()
    {
        if (torch.cuda.is_available()) Assert.Ignore("this machine has a GPU");
        var e = Assert.Throws<DeviceUnavailableException>(() => DeviceSelection.Resolve("cuda"))!;
        Assert.That(e.Message, Does.Contain("device = \"cuda\"").And.Contain("device = \"cpu\""));
    }

    private (string Run, TrainingSession Session) Session(long maxSteps, bool resume)
    {
        string toml = TestCatalog.TinyRecipe.Replace("[train]\n", $"[train]\nmax_steps = {maxSteps}\n");
        string run = Path.Combine(_dir, "run");
        return (run, new TrainingSession(Parse(toml), TestCatalog.Create(), [], new TrainingSessionOptions { RunDirectory = run, Resume = resume },
                                         new TextTrainingObserver(TextWriter.Null)));
    }

    [Test]
    public void AResumeAfterACrashKeepsEachStepOnceInTheMetrics()
    {
        var (run, first) = Session(maxSteps: 4, resume: false);
        using (first) first.Run();
        // A run that went on past the checkpoint and then crashed left steps 5 and 6 (and a line cut in half).
        string metrics = Path.Combine(run, "metrics.jsonl");
        File.AppendAllText(metrics, "{\"step\":5,\"epoch\":0}\n{\"step\":6,\"epoch\":0}\n{\"step\":7,\"ep");
        var (_, resumed) = Session(maxSteps: 6, resume: true);
        using (resumed) resumed.Run();
        var steps = File.ReadLines(metrics).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt64()).ToList();
        Assert.That(steps, Is.EqualTo(new long[] { 1, 2, 3, 4, 5, 6 }));
    }

    [Test]
    public void ResumingWithChangedNetworksNamesTheSectionsAndTheRunsRecipe()
    {
        var (run, first) = Session(maxSteps: 2, resume: false);
        using (first) first.Run();
        string changed = TestCatalog.TinyRecipe.Replace("num_timesteps = 4", "num_timesteps = 2");
        var e = Assert.Throws<LddGan.Engine.Checkpoints.CheckpointException>(() =>
            new TrainingSession(Parse(changed), TestCatalog.Create(), [], new TrainingSessionOptions { RunDirectory = run, Resume = true },
                                new TextTrainingObserver(TextWriter.Null)).Dispose())!;
        Assert.That(e.Message, Does.Contain("this recipe's [diffusion] differ").And.Contain(Path.Combine(run, "recipe.resolved.toml")));
    }

    [Test]
    public void ACheckpointWriteRemovesTemporariesOfKilledWriters()
    {
        string checkpoints = Path.Combine(_dir, "run", "checkpoints");
        Directory.CreateDirectory(checkpoints);
        string stale = Path.Combine(checkpoints, $"{TrainingSession.LatestCheckpointName}.tmp-{int.MaxValue - 1}");   // no such process
        File.WriteAllText(stale, "half a zip");
        var (_, session) = Session(maxSteps: 1, resume: false);
        using (session) session.Run();
        Assert.That(File.Exists(stale), Is.False);
        Assert.That(Directory.GetFiles(checkpoints), Is.EquivalentTo(new[] { Path.Combine(checkpoints, TrainingSession.LatestCheckpointName) }));
    }
}
