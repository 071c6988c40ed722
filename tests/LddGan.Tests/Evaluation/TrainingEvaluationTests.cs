using System.Text.Json;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runs;
using LddGan.Engine.Sessions;
using LddGan.Evaluation;
using LddGan.Tests.Support;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Evaluation;

/// <summary>
/// <c>[train] eval_every</c>: FID, precision and recall during training, written to metrics.jsonl and TensorBoard; a run
/// that cannot be evaluated is refused before its first step. A tiny Fashion-MNIST run and a random feature network.
/// </summary>
[Category("EndToEnd")]
[NonParallelizable]
public sealed class TrainingEvaluationTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("lddgan-train-eval-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private static string Recipe(int evalEvery) =>
        EvaluationFixtures.TinyFashionMnist(limit: 32, maxSteps: 4, train: $"eval_every = {evalEvery}\neval_samples = 24");

    private TrainingSession Session(int evalEvery, ITrainingEvaluatorFactory? evaluators, TextWriter? notes = null) =>
        new(new RecipeLoader(TestCatalog.Create()).Parse(Recipe(evalEvery), "tiny.toml"), TestCatalog.Create(), [],
            new TrainingSessionOptions { RunDirectory = Path.Combine(_dir, "run"), Evaluators = evaluators },
            new TextTrainingObserver(notes ?? TextWriter.Null));

    private TrainingFidEvaluatorFactory Evaluators(string? weights = null) =>
        new(TestCatalog.Create()) { FeatureWeights = weights ?? EvaluationFixtures.RandomFeatureNet(_dir), CacheFolder = Path.Combine(_dir, "cache"), BatchSize = 16 };

    [Test]
    public void EvalEveryWritesFidPrecisionAndRecallToMetricsAndTensorBoard()
    {
        var notes = new StringWriter();
        using (var session = Session(evalEvery: 2, Evaluators(), notes)) session.Run();
        string run = Path.Combine(_dir, "run");
        var evaluations = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement).Where(e => e.TryGetProperty("fid", out _)).ToList();
        var events = TensorBoardLog.Read(Directory.GetFiles(run, "events.out.tfevents.*").Single());
        var fidEvents = events.Where(e => e.Summary?.Value.Any(v => v.Tag == "fid") == true).ToList();
        TestContext.Progress.WriteLine($"FID during training: {string.Join(", ", evaluations.Select(e => e.GetProperty("fid").GetDouble().ToString("F3")))}");
        Assert.Multiple(() =>
        {
            Assert.That(evaluations.Select(e => e.GetProperty("step").GetInt64()), Is.EqualTo(new long[] { 2, 4 }));
            foreach (var e in evaluations)
            {
                Assert.That(e.GetProperty("fid").GetDouble(), Is.GreaterThan(0).And.Not.NaN);
                Assert.That(e.GetProperty("precision").GetDouble(), Is.InRange(0.0, 1.0));
                Assert.That(e.GetProperty("recall").GetDouble(), Is.InRange(0.0, 1.0));
                Assert.That(e.GetProperty("eval_seconds").GetDouble(), Is.GreaterThan(0));
            }
            Assert.That(fidEvents.Select(e => e.Step), Is.EqualTo(new long[] { 2, 4 }));
            Assert.That(fidEvents.Select(e => e.Summary.Value.Single(v => v.Tag == "fid").SimpleValue),
                        Is.EqualTo(evaluations.Select(e => (float)e.GetProperty("fid").GetDouble())));
            foreach (var tag in new[] { "precision", "recall", "eval_seconds" })
                Assert.That(events.Count(e => e.Summary?.Value.Any(v => v.Tag == tag) == true), Is.EqualTo(2), tag);
            Assert.That(notes.ToString(), Does.Contain("evaluation every 2 steps").And.Contain("fashion-mnist test").And.Contain("step 2: fid"));
            Assert.That(Directory.GetFiles(Path.Combine(_dir, "cache"), "*.ref"), Has.Length.EqualTo(1), "the reference features are cached");
        });
    }

    [Test]
    public void ARunThatCannotBeEvaluatedIsRefusedBeforeItsFirstStep()
    {
        var e = Assert.Throws<RunSetupException>(() => Session(evalEvery: 2, evaluators: null))!;
        Assert.That(e.Message, Does.Contain("eval_every = 2").And.Contain("eval_every = 0"));

        e = Assert.Throws<RunSetupException>(() => Session(evalEvery: 2, Evaluators(Path.Combine(_dir, "missing.bin"))))!;
        Assert.That(e.Message, Does.Contain("eval_every = 2").And.Contain("missing.bin").And.Contain("eval_every = 0"));
        Assert.That(File.Exists(Path.Combine(_dir, "run", "metrics.jsonl")), Is.False, "nothing was trained or logged");

        using var session = Session(evalEvery: 0, evaluators: null);   // no evaluation asked: no evaluator needed
        Assert.That(session.Model, Is.Not.Null);
    }

    [Test]
    public void ASessionThatCannotBeBuiltGivesBackWhatItHadBuilt()
    {
        // The refusal comes after the dataset, model and trainer were built and the recipe's thread count was set.
        int before = get_num_threads();
        int other = before == 1 ? 2 : 1;
        string toml = EvaluationFixtures.TinyFashionMnist(limit: 32, maxSteps: 4, train: $"eval_every = 2\neval_samples = 24\nthreads = {other}");
        Assert.Throws<RunSetupException>(() => new TrainingSession(new RecipeLoader(TestCatalog.Create()).Parse(toml, "tiny.toml"), TestCatalog.Create(), [],
            new TrainingSessionOptions { RunDirectory = Path.Combine(_dir, "run") }, new TextTrainingObserver(TextWriter.Null)));
        Assert.That(get_num_threads(), Is.EqualTo(before), "the run environment was disposed, giving the thread count back");
    }

    [Test]
    public void EvalOptionsAreValidated()
    {
        var e = Assert.Throws<RecipeException>(() => new RecipeLoader(TestCatalog.Create()).Parse(
            Recipe(-1).Replace("eval_samples = 24", "eval_samples = 3"), "bad.toml"))!;
        Assert.That(e.Message, Does.Contain("eval_every").And.Contain("eval_samples"));
    }
}

/// <summary><c>checkpoints/best.ckpt</c>: the training state at the lowest FID measured so far, kept over resumes.</summary>
[Category("EndToEnd")]
[NonParallelizable]
public sealed class BestCheckpointTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("lddgan-best-ckpt-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    /// <summary>Reports the given FIDs in turn, whatever the model; NaN stands for a libtorch failure during the evaluation.</summary>
    private sealed class ScriptedFid(Queue<double> fids) : ITrainingEvaluatorFactory, ITrainingEvaluator
    {
        public string Description => "scripted FID";
        public ITrainingEvaluator Create(LddGan.Engine.Recipes.Recipe recipe, LddGan.Abstractions.SampleShape dataShape, Device device) => this;
        public IReadOnlyDictionary<string, double> Evaluate(LddGan.Engine.Models.DiffusionModel model, long step)
        {
            double fid = fids.Dequeue();
            if (double.IsNaN(fid)) throw new System.Runtime.InteropServices.ExternalException("a libtorch failure while evaluating");
            return new Dictionary<string, double> { ["fid"] = fid, ["precision"] = 0.5, ["recall"] = 0.25, ["eval_seconds"] = double.PositiveInfinity };
        }
        public void Dispose() { }
    }

    [Test]
    public void AnEvaluationThatFailsIsMeasuredAgainWhenTheRunIsRetried()
    {
        // Checkpoints and evaluations at the same steps (2, 4, 6); the evaluation at step 4 fails once. The retry resumes
        // from step 2, as the checkpoint of step 4 is written only after its evaluation, and measures step 4 again.
        string toml = EvaluationFixtures.TinyFashionMnist(limit: 80, maxSteps: 6, train: "eval_every = 2\neval_samples = 24")
            .Replace("checkpoint_every = 0", "checkpoint_every = 2");
        var evaluator = new ScriptedFid(new Queue<double>([5.0, double.NaN, 3.0, 4.0]));
        string? checkpoint = null;
        var notes = new List<string>();
        TrainingRetries.Run(1, resume: false, resume =>
        {
            using var session = new TrainingSession(new RecipeLoader(TestCatalog.Create()).Parse(toml, "tiny.toml"), TestCatalog.Create(), [],
                new TrainingSessionOptions { RunDirectory = Path.Combine(_dir, "run"), Resume = resume, Evaluators = evaluator },
                new TextTrainingObserver(TextWriter.Null));
            checkpoint = session.CheckpointPath;
            session.Run();
        }, () => checkpoint, notes.Add);
        Assert.That(notes.Single(), Does.Contain("(step 2)"));
        Assert.That(Best(), Is.EqualTo((4L, 3.0, 0.25)), "step 4 measured on the retry; an infinite scalar is left out of the meta data");
    }

    private void Train(int maxSteps, bool resume, params double[] fids)
    {
        string toml = EvaluationFixtures.TinyFashionMnist(limit: 80, maxSteps: maxSteps, train: "eval_every = 2\neval_samples = 24");
        var queue = new Queue<double>(fids);
        var evaluator = new ScriptedFid(queue);
        using var session = new TrainingSession(new RecipeLoader(TestCatalog.Create()).Parse(toml, "tiny.toml"), TestCatalog.Create(), [],
            new TrainingSessionOptions { RunDirectory = Path.Combine(_dir, "run"), Resume = resume, Evaluators = evaluator },
            new TextTrainingObserver(TextWriter.Null));
        session.Run();
        Assert.That(queue, Is.Empty, "one evaluation per scripted FID");
    }

    private (long Step, double Fid, double Recall) Best()
    {
        using var reader = LddGan.Engine.Checkpoints.CheckpointFile.Open(Path.Combine(_dir, "run", "checkpoints", "best.ckpt"));
        return (reader.Meta.GlobalStep, reader.Meta.Evaluation!["fid"], reader.Meta.Evaluation["recall"]);
    }

    [Test]
    public void TheLowestFidsCheckpointIsKeptAndAResumedRunOnlyReplacesItWithALowerOne()
    {
        Train(maxSteps: 6, resume: false, 5.0, 3.0, 4.0);
        Assert.That(Best(), Is.EqualTo((4L, 3.0, 0.25)), "steps 2, 4, 6 measured 5, 3, 4: step 4 is the best");

        Train(maxSteps: 8, resume: true, 3.5);
        Assert.That(Best(), Is.EqualTo((4L, 3.0, 0.25)), "3.5 at step 8 is worse than the 3.0 kept from before the resume");

        Train(maxSteps: 10, resume: true, 2.0);
        Assert.That(Best(), Is.EqualTo((10L, 2.0, 0.25)));

        // The best checkpoint is a checkpoint like any other: it evaluates, and the report carries its training time.
        string best = Path.Combine(_dir, "run", "checkpoints", "best.ckpt");
        double trainingSeconds;
        using (var reader = LddGan.Engine.Checkpoints.CheckpointFile.Open(best)) trainingSeconds = reader.Meta.TrainingSeconds;
        var report = new EvaluationRunner(TestCatalog.Create()).Run(best, new EvaluationOptions
        {
            Count = 16, BatchSize = 16, FeatureWeights = EvaluationFixtures.RandomFeatureNet(_dir), CacheFolder = Path.Combine(_dir, "cache"),
        });
        Assert.That(report.GlobalStep, Is.EqualTo(10));
        Assert.That(report.TrainingSeconds, Is.EqualTo(trainingSeconds).And.GreaterThan(0));

        File.Delete(Path.Combine(_dir, "run", "checkpoints", "latest.ckpt"));
        var e = Assert.Throws<RunSetupException>(() => Train(maxSteps: 2, resume: false, 1.0))!;
        Assert.That(e.Message, Does.Contain("best.ckpt").And.Contain("another folder"), "a new run does not overwrite another run's best checkpoint");
    }
}
