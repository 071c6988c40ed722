using System.Runtime.InteropServices;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using LddGan.Tests.Support;
using NUnit.Framework;

namespace LddGan.Tests.Training;

/// <summary>
/// A libtorch error in the middle of a run: the run continues from its latest checkpoint and ends exactly where an
/// uninterrupted run ends; an error that comes back every time, or an out-of-memory error, stops it.
/// </summary>
[NonParallelizable]
public sealed class TrainingRetriesTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("lddgan-retries-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    /// <summary>Throws what TorchSharp throws for a libtorch error when the run reaches a step, as often as told.</summary>
    private sealed class FailingObserver(long failAtStep, int failures, string message) : ITrainingObserver
    {
        public int Failures { get; private set; }
        public List<string> Notes { get; } = [];
        public void Started(TrainingPlan plan) { }
        public void Note(string text) => Notes.Add(text);
        public void Stepped(StepReport report)
        {
            if (report.Step != failAtStep || Failures >= failures) return;
            Failures++;
            throw new ExternalException(message + "\nException raised from toDouble at c10/core/Scalar.h:76");
        }
    }

    private static Recipe Recipe() =>
        new RecipeLoader(TestCatalog.Create()).Parse(TestCatalog.TinyRecipe.Replace("checkpoint_every = 0", "checkpoint_every = 5"), "tiny.toml");

    private void Train(string name, ITrainingObserver observer, int retries)
    {
        string? checkpoint = null;
        TrainingRetries.Run(retries, resume: false, resume =>
        {
            using var session = new TrainingSession(Recipe(), TestCatalog.Create(), [],
                new TrainingSessionOptions { RunDirectory = Path.Combine(_dir, name), Resume = resume }, observer);
            checkpoint = session.CheckpointPath;
            session.Run();
        }, () => checkpoint, observer.Note);
    }

    private Dictionary<string, string> CheckpointHashes(string run) =>
        CheckpointState.Hashes(Path.Combine(_dir, run, "checkpoints", "latest.ckpt"));

    [Test]
    public void AFailureMidRunContinuesFromTheCheckpointAndEndsAsAnUninterruptedRun()
    {
        Train("uninterrupted", new FailingObserver(failAtStep: 0, failures: 0, ""), retries: 0);
        var failing = new FailingObserver(failAtStep: 13, failures: 1, "Expected false to be true, but got false.");
        Train("retried", failing, retries: 2);

        Assert.That(failing.Failures, Is.EqualTo(1));
        string note = failing.Notes.Single(n => n.StartsWith("libtorch failed"));
        Assert.That(note, Does.Contain("Expected false to be true").And.Contain("Retry 1 of 2").And.Contain("(step 10)"));
        Assert.That(CheckpointHashes("retried"), Is.EqualTo(CheckpointHashes("uninterrupted")),
                    "weights, EMA, optimisers, random streams and position at step 24");
    }

    [Test]
    public void AnErrorThatComesBackEveryTimeStopsTheRunWhenTheRetriesAreSpent()
    {
        var failing = new FailingObserver(failAtStep: 13, failures: int.MaxValue, "a deterministic error");
        var e = Assert.Throws<ExternalException>(() => Train("run", failing, retries: 2))!;
        Assert.That(e.Message, Does.Contain("a deterministic error"));
        Assert.That(failing.Failures, Is.EqualTo(3), "the first attempt and two retries");
        Assert.That(failing.Notes.Count(n => n.StartsWith("libtorch failed")), Is.EqualTo(2));
    }

    [Test]
    public void OutOfMemoryAndAFailureBeforeAnyCheckpointAreNotRetried()
    {
        var oom = new FailingObserver(failAtStep: 13, failures: 1, "DefaultCPUAllocator: not enough memory: you tried to allocate 1073741824 bytes.");
        Assert.Throws<ExternalException>(() => Train("oom", oom, retries: 2));
        Assert.That(oom.Failures, Is.EqualTo(1));

        var early = new FailingObserver(failAtStep: 3, failures: 1, "a failure before the first checkpoint (step 5)");
        Assert.Throws<ExternalException>(() => Train("early", early, retries: 2));
        Assert.That(early.Notes, Has.None.StartsWith("libtorch failed"));
    }
}
