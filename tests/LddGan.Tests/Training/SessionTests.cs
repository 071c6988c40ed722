using System.Security.Cryptography;
using LddGan.Engine.Checkpoints;
using LddGan.Engine.Models;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runs;
using LddGan.Engine.Sessions;
using LddGan.Tests.Support;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Training;

public sealed class SessionTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("lddgan-session-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private static Recipe TinyRecipe(long maxSteps = 0) =>
        new RecipeLoader(TestCatalog.Create()).Parse(TestCatalog.TinyRecipe + (maxSteps > 0 ? $"\nmax_steps = {maxSteps}\n" : ""), "tiny.toml");

    private TrainingSession Session(Recipe recipe, string name, bool resume = false) =>
        new(recipe, TestCatalog.Create(), [], new TrainingSessionOptions { RunDirectory = Path.Combine(_dir, name), Resume = resume },
            new TextTrainingObserver(TextWriter.Null));

    private static Dictionary<string, float[]> Weights(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());

    [Test]
    public void RunWritesResolvedRecipeMetricsSamplesAndCheckpoint()
    {
        using (var session = Session(TinyRecipe(), "run")) session.Run();
        string run = Path.Combine(_dir, "run");
        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(Path.Combine(run, "recipe.resolved.toml")));
            Assert.That(File.Exists(Path.Combine(run, "run.json")));
            Assert.That(File.ReadAllLines(Path.Combine(run, "metrics.jsonl")), Has.Length.EqualTo(24), "3 epochs × 8 batches, log_every 1");
            Assert.That(File.Exists(Path.Combine(run, "samples", "final.png")));
            Assert.That(File.Exists(Path.Combine(run, "checkpoints", "latest.ckpt")));
        });
    }

    [Test]
    public void MaxHoursStopsTheRunAndCountsTrainingTimeOverResumes()
    {
        var recipe = new RecipeLoader(TestCatalog.Create()).Parse(TestCatalog.TinyRecipe + "\nmax_hours = 1e-9\n", "tiny.toml");
        string checkpoint = Path.Combine(_dir, "run", "checkpoints", "latest.ckpt");
        using (var session = Session(recipe, "run")) session.Run();
        double first;
        using (var reader = LddGan.Engine.Checkpoints.CheckpointFile.Open(checkpoint))
        {
            first = reader.Meta.TrainingSeconds;
            Assert.That(reader.Meta.GlobalStep, Is.EqualTo(1), "the budget is spent after the first step, not 24");
            Assert.That(first, Is.GreaterThan(0));
        }
        Assert.That(File.ReadAllLines(Path.Combine(_dir, "run", "metrics.jsonl")).Last(), Does.Contain("\"training_s\""));

        using (var session = Session(recipe, "run", resume: true))
        {
            session.Run();
            Assert.That(session.Trainer.GlobalStep, Is.EqualTo(1), "a resumed run whose budget is spent trains no step");
        }
        using var again = LddGan.Engine.Checkpoints.CheckpointFile.Open(checkpoint);
        Assert.That(again.Meta.TrainingSeconds, Is.GreaterThanOrEqualTo(first), "the earlier sessions' time is carried");
    }

    [Test]
    public void RunWritesTensorBoardEventsThatReadBack()
    {
        using (var session = Session(TinyRecipe(), "run")) session.Run();
        string run = Path.Combine(_dir, "run");
        var file = Directory.GetFiles(run, "events.out.tfevents.*").Single();
        var events = TensorBoardLog.Read(file);
        var metrics = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
        var lossG = events.Where(e => e.Summary?.Value.Any(v => v.Tag == "loss_g") == true).ToList();
        var images = events.Where(e => e.Summary?.Value.Any(v => v.Tag == "samples" && v.Image is not null) == true).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(events[0].FileVersion, Is.EqualTo("brain.Event:2"));
            Assert.That(lossG.Select(e => e.Step), Is.EqualTo(Enumerable.Range(1, metrics.Length).Select(i => (long)i)), "one loss_g scalar per metrics line");
            var last = System.Text.Json.JsonDocument.Parse(metrics[^1]).RootElement.GetProperty("loss_g").GetDouble();
            Assert.That(lossG[^1].Summary.Value.Single(v => v.Tag == "loss_g").SimpleValue, Is.EqualTo((float)last));
            Assert.That(images, Has.Count.EqualTo(1), "the final grid (the tiny recipe previews only at the end)");
            Assert.That(images[0].Summary.Value[0].Image.EncodedImageString.ToByteArray(),
                        Is.EqualTo(File.ReadAllBytes(Path.Combine(run, "samples", "final.png"))));
            Assert.That(events.All(e => e.WallTime > 1.7e9), "wall times in Unix seconds");
        });
    }

    [Test]
    public void CheckpointRoundTripGivesBitIdenticalSamples()
    {
        Tensor direct;
        using (var session = Session(TinyRecipe(), "run"))
        {
            session.Run();
            var renderer = new SampleRenderer(session.Components.Process, session.Components.LatentSpace, new(1, 8, 8), CPU);
            direct = renderer.Generate(session.Trainer.SamplingGenerator, 16, seed: 5, batchSize: 7);
        }
        using var sampling = DiffusionModel.Load(Path.Combine(_dir, "run"), TestCatalog.Create());
        using var loaded = sampling.Sample(16, seed: 5, batchSize: 7);
        Assert.That(sampling.UsesEma, Is.True);
        Assert.That(loaded.data<float>().ToArray(), Is.EqualTo(direct.data<float>().ToArray()));
        direct.Dispose();
    }

    [Test]
    public void ResumedRunEndsWithTheSameWeightsAsAnUninterruptedOne()
    {
        Dictionary<string, float[]> uninterrupted, resumed;
        using (var session = Session(TinyRecipe(), "full"))
        {
            session.Run();
            uninterrupted = Weights(session.Trainer.SamplingGenerator);
        }
        using (var first = Session(TinyRecipe(maxSteps: 11), "split")) first.Run(); // stops mid-epoch 1
        using (var second = Session(TinyRecipe(), "split", resume: true))
        {
            Assert.That(second.Trainer.GlobalStep, Is.EqualTo(11));
            second.Run();
            resumed = Weights(second.Trainer.SamplingGenerator);
        }
        Assert.That(resumed.Keys, Is.EquivalentTo(uninterrupted.Keys));
        foreach (var key in uninterrupted.Keys) Assert.That(resumed[key], Is.EqualTo(uninterrupted[key]), key);
    }

    [Test]
    public void SameRecipeTwiceGivesIdenticalCheckpointsWeights()
    {
        using (var a = Session(TinyRecipe(), "a")) a.Run();
        using (var b = Session(TinyRecipe(), "b")) b.Run();
        string Hash(string run, string entry)
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(_dir, run, "checkpoints", "latest.ckpt"));
            using var s = zip.GetEntry(entry)!.Open();
            return Convert.ToHexString(SHA256.HashData(s));
        }
        foreach (var entry in new[] { "modules/generator.bin", "modules/generator_ema.bin", "modules/discriminator.bin" })
            Assert.That(Hash("b", entry), Is.EqualTo(Hash("a", entry)), entry);
        Assert.That(File.ReadAllText(Path.Combine(_dir, "b", "metrics.jsonl")).Split('\n').Select(l => l.Split("\"lr_g\"")[0]),
                    Is.EqualTo(File.ReadAllText(Path.Combine(_dir, "a", "metrics.jsonl")).Split('\n').Select(l => l.Split("\"lr_g\"")[0])));
    }

    [Test]
    public void ExistingCheckpointIsNeverOverwrittenWithoutResume()
    {
        using (var session = Session(TinyRecipe(maxSteps: 2), "run")) session.Run();
        string ckpt = Path.Combine(_dir, "run", "checkpoints", "latest.ckpt");
        var before = File.ReadAllBytes(ckpt);
        var e = Assert.Throws<RunSetupException>(() => Session(TinyRecipe(), "run"))!;
        Assert.That(e.Message, Does.Contain("--resume"));
        Assert.That(File.ReadAllBytes(ckpt), Is.EqualTo(before));
    }

    [Test]
    public void DamagedCheckpointGivesAClearError()
    {
        string path = Path.Combine(_dir, "bad.ckpt");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5]);
        var e = Assert.Throws<CheckpointException>(() => DiffusionModel.Load(path, TestCatalog.Create()))!;
        Assert.That(e.Message, Does.Contain("bad.ckpt").And.Contain("not a valid LddGan checkpoint"));
    }
}
