using System.Text.Json;
using LddGan.Abstractions;
using LddGan.Engine.Diffusion;
using LddGan.Engine.Latent;
using LddGan.Engine.Losses;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runs;
using LddGan.Engine.Runtime;
using LddGan.Engine.Sessions;
using LddGan.Engine.Training;
using LddGan.Tests.Support;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Training;

/// <summary>
/// Batches assembled on a background thread (<c>[train] prefetch</c>) change nothing a run writes: the same weights,
/// the same checkpoints at every stop, exact resume; the thread and every batch tensor are gone when a run ends.
/// </summary>
public sealed class BatchPrefetchTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("lddgan-prefetch-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    /// <summary>The tiny recipe (8 batches per epoch, 3 epochs, random flips) with prefetch on or off.</summary>
    private static Recipe TinyRecipe(bool prefetch, long maxSteps = 0) =>
        new RecipeLoader(TestCatalog.Create()).Parse(
            TestCatalog.TinyRecipe + $"\nprefetch = {(prefetch ? "true" : "false")}\n" + (maxSteps > 0 ? $"max_steps = {maxSteps}\n" : ""), "tiny.toml");

    private TrainingSession Session(Recipe recipe, string name, bool resume = false, ITrainingObserver? observer = null) =>
        new(recipe, TestCatalog.Create(), [], new TrainingSessionOptions { RunDirectory = Path.Combine(_dir, name), Resume = resume },
            observer ?? new TextTrainingObserver(TextWriter.Null));

    /// <summary>Runs until <paramref name="stopAfter"/> steps are done, then stops it as Ctrl+C does (a checkpoint is written).</summary>
    private void RunAndStop(Recipe recipe, string name, long stopAfter)
    {
        using var stop = new CancellationTokenSource();
        using var session = Session(recipe, name, observer: new StopAt(stopAfter, stop));
        Assert.Throws<OperationCanceledException>(() => session.Run(stop.Token));
        Assert.That(session.Trainer.GlobalStep, Is.EqualTo(stopAfter));
    }

    /// <summary>SHA-256 of every checkpoint entry; the recipe (which names the prefetch setting) and the creation time left out.</summary>
    private Dictionary<string, string> CheckpointHashes(string run) =>
        CheckpointState.Hashes(Path.Combine(_dir, run, "checkpoints", "latest.ckpt"));

    private static Dictionary<string, float[]> Weights(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());

    [Test]
    public void PrefetchOnAndOffWriteIdenticalCheckpoints()
    {
        using (var on = Session(TinyRecipe(prefetch: true), "on")) on.Run();
        using (var off = Session(TinyRecipe(prefetch: false), "off")) off.Run();
        var expected = CheckpointHashes("off");
        Assert.That(expected.Keys, Does.Contain("modules/generator.bin").And.Contain("rng/augmentation.bin").And.Contain("optimizers/generator.bin"));
        Assert.That(CheckpointHashes("on"), Is.EqualTo(expected));
    }

    [TestCase(5)]   // mid-epoch
    [TestCase(8)]   // at the end of the first epoch: the synchronous walk has started the next one when it notices the stop
    public void AStopWithPrefetchSavesWhatASynchronousStopSavesAndResumesExactly(int stopAfter)
    {
        RunAndStop(TinyRecipe(prefetch: false), "synchronous", stopAfter);
        RunAndStop(TinyRecipe(prefetch: true), "prefetched", stopAfter);
        Assert.That(CheckpointHashes("prefetched"), Is.EqualTo(CheckpointHashes("synchronous")), "the checkpoint written by the stop");

        Dictionary<string, float[]> uninterrupted, resumed;
        using (var full = Session(TinyRecipe(prefetch: true), "full"))
        {
            full.Run();
            uninterrupted = Weights(full.Trainer.SamplingGenerator);
        }
        using (var second = Session(TinyRecipe(prefetch: true), "prefetched", resume: true))
        {
            Assert.That(second.Trainer.GlobalStep, Is.EqualTo(stopAfter));
            second.Run();
            resumed = Weights(second.Trainer.SamplingGenerator);
        }
        Assert.That(resumed.Keys, Is.EquivalentTo(uninterrupted.Keys));
        foreach (var key in uninterrupted.Keys) Assert.That(resumed[key], Is.EqualTo(uninterrupted[key]), key);
        Assert.That(CheckpointHashes("prefetched"), Is.EqualTo(CheckpointHashes("full")), "the final checkpoint");
    }

    [Test]
    public void MetricsAndTensorBoardCarryTheDataTimePerStep([Values] bool prefetch)
    {
        using (var session = Session(TinyRecipe(prefetch, maxSteps: 6), "run")) session.Run();
        string run = Path.Combine(_dir, "run");
        var dataMs = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("data_ms").GetDouble()).ToList();
        var events = TensorBoardLog.Read(Directory.GetFiles(run, "events.out.tfevents.*").Single());
        Assert.Multiple(() =>
        {
            Assert.That(dataMs, Has.Count.EqualTo(6));
            Assert.That(dataMs, Is.All.GreaterThanOrEqualTo(0));
            Assert.That(dataMs[0], Is.GreaterThan(0), "the first step always waits for its batch");
            Assert.That(events.Count(e => e.Summary?.Value.Any(v => v.Tag == "data_ms") == true), Is.EqualTo(6));
        });
    }

    [Test]
    public void AfterTheEndAStopOrDivergenceNoPrefetchThreadRunsAndNoBatchIsLeft()
    {
        // To the end of the epochs, to max_steps in the middle of an epoch, stopped, diverged: each with its own trainer.
        var options = new TrainingOptions { BatchSize = 8, NumEpochs = 2, EmaDecay = 0 };
        Assert.That(RunRecorded(options, (_, _) => { }, default), Is.Null);
        Assert.That(RunRecorded(options with { MaxSteps = 11 }, (_, _) => { }, default), Is.Null);
        using (var stop = new CancellationTokenSource())
            Assert.That(RunRecorded(options, (step, _) => { if (step == 3) stop.Cancel(); }, stop.Token), Is.InstanceOf<OperationCanceledException>());
        // Diverged once the next batch is drawn: the trainer must dispose a batch it will never take.
        Assert.That(RunRecorded(options, (step, data) =>
        {
            if (step < 4) return;
            Assert.That(SpinWait.SpinUntil(() => data.Batches.Count == 5, TimeSpan.FromSeconds(30)), "batch 5 drawn ahead");
            throw new TrainingDivergedException(step - 1, "test loss", double.NaN);
        }, default), Is.InstanceOf<TrainingDivergedException>());
    }

    /// <summary>
    /// Runs a trainer on a dataset that records its batches, checks that they are all disposed and that no thread that
    /// drew one is alive, and returns what the run threw.
    /// </summary>
    private static Exception? RunRecorded(TrainingOptions options, Action<long, RecordingDataset> afterStep, CancellationToken cancellation)
    {
        using var rng = new RandomStreams(3);
        var shape = new SampleShape(1, 8, 8);
        var dataset = new RecordingDataset(new BlobDataset(64));
        var components = new TrainingComponents(dataset, new PixelSpace(), new DiffusionGanProcess(new DiffusionOptions()),
            new TinyDenoiser(shape), null, new TinyDiscriminator(shape), new AdversarialLossSchedule());
        Exception? thrown = null;
        using (var trainer = new DiffusionGanTrainer(components, options, rng, CPU))
        {
            try { trainer.Run(_ => afterStep(trainer.GlobalStep, dataset), cancellation); }
            catch (Exception e) { thrown = e; }
        }
        Assert.Multiple(() =>
        {
            Assert.That(dataset.Threads, Has.Some.Not.EqualTo(Environment.CurrentManagedThreadId), "batches were drawn on another thread");
            Assert.That(dataset.LiveThreads(), Is.Empty, "a thread that drew batches is still running");
            Assert.That(dataset.Batches.Count(b => !b.IsInvalid), Is.Zero, "batch tensors never disposed");
        });
        components.Generator.Dispose();
        components.Discriminator.Dispose();
        return thrown;
    }

    private sealed class StopAt(long step, CancellationTokenSource stop) : ITrainingObserver
    {
        public void Started(TrainingPlan plan) { }
        public void Stepped(StepReport report) { if (report.Step == step) stop.Cancel(); }
        public void Note(string message) { }
    }

    /// <summary>A dataset that remembers every batch it handed out and the thread that drew it.</summary>
    private sealed class RecordingDataset(IDataset inner) : IDataset
    {
        private readonly Lock _lock = new();
        private readonly List<Thread> _threads = [];
        private readonly List<Tensor> _batches = [];

        public string Name => inner.Name;
        public long Count => inner.Count;
        public SampleShape Shape => inner.Shape;

        public IReadOnlyList<int> Threads { get { lock (_lock) return _threads.Select(t => t.ManagedThreadId).ToList(); } }
        public IReadOnlyList<Tensor> Batches { get { lock (_lock) return [.. _batches]; } }
        public IReadOnlyList<int> LiveThreads() { lock (_lock) return _threads.Where(t => t != Thread.CurrentThread && t.IsAlive).Select(t => t.ManagedThreadId).Distinct().ToList(); }

        public Tensor GetBatch(ReadOnlySpan<long> indices, Generator? augmentation = null)
        {
            var batch = inner.GetBatch(indices, augmentation);
            lock (_lock)
            {
                _threads.Add(Thread.CurrentThread);
                _batches.Add(batch);
            }
            return batch;
        }

        public void Dispose() => inner.Dispose();
    }
}
