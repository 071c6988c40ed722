using LddGan.Evaluation.Benchmarks;
using LddGan.Engine.Checkpoints;
using LddGan.Evaluation;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using LddGan.Tests.Support;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Evaluation;

/// <summary>
/// <c>lddgan eval</c> and <c>lddgan bench</c> through the engine, on a one-step run of the tiny MLP denoiser on real
/// Fashion-MNIST images, with a randomly initialised feature network (the metric code, not its values, is under test).
/// </summary>
[Category("EndToEnd")]
[NonParallelizable]
public sealed class EvaluationEndToEndTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("lddgan-eval-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private static readonly string TinyFashionMnist = EvaluationFixtures.TinyFashionMnist(limit: 16, maxSteps: 1);

    private string Train(string toml, string name)
    {
        var recipe = new RecipeLoader(TestCatalog.Create()).Parse(toml, name + ".toml");
        string run = Path.Combine(_dir, name);
        using var session = new TrainingSession(recipe, TestCatalog.Create(), [], new TrainingSessionOptions { RunDirectory = run },
                                                new TextTrainingObserver(TextWriter.Null));
        session.Run();
        return run;
    }

    [Test]
    public void EvalReportsFidPrecisionRecallAndNfeAndReusesTheReferenceFeatures()
    {
        string run = Train(TinyFashionMnist, "run");
        var options = new EvaluationOptions
        {
            Count = 64, BatchSize = 32, Seed = 3, FeatureWeights = EvaluationFixtures.RandomFeatureNet(_dir), CacheFolder = Path.Combine(_dir, "cache"),
        };
        var progress = new List<EvaluationProgress>();
        var runner = new EvaluationRunner(TestCatalog.Create());
        var first = runner.Run(run, options, new SynchronousProgress(progress.Add));
        TestContext.Progress.WriteLine($"tiny eval: FID {first.Fid:F3}, precision {first.Precision:F3}, recall {first.Recall:F3}, {first.TotalSeconds:F2} s");
        Assert.Multiple(() =>
        {
            Assert.That(first.Nfe, Is.EqualTo(4));
            Assert.That(first.Samples, Is.EqualTo(64));
            Assert.That(first.ReferenceImages, Is.EqualTo(64));
            Assert.That(first.Dataset, Is.EqualTo("fashion-mnist"));
            Assert.That(first.Weights, Is.EqualTo("ema"));
            Assert.That(first.Fid, Is.GreaterThan(0).And.Not.NaN);
            Assert.That(first.Precision, Is.InRange(0.0, 1.0));
            Assert.That(first.Recall, Is.InRange(0.0, 1.0));
            Assert.That(first.ReferenceFromCache, Is.False);
            Assert.That(progress.Where(p => p.Stage == "samples").Select(p => p.Done), Is.EqualTo(new long[] { 0, 32, 64 }));
            Assert.That(progress.Where(p => p.Stage == "reference features").Select(p => p.Done), Is.EqualTo(new long[] { 0, 32, 64 }));
        });

        progress.Clear();
        var second = runner.Run(run, options, new SynchronousProgress(progress.Add));
        Assert.That(second.ReferenceFromCache, Is.True);
        Assert.That(progress.Any(p => p.Stage == "reference features"), Is.False, "real images are not featurised again");
        Assert.That((second.Fid, second.Precision, second.Recall), Is.EqualTo((first.Fid, first.Precision, first.Recall)), "same seed, same numbers");

        // The real data against itself: FID 0 and precision = recall = 1 with the same pipeline.
        using var extractor = FeatureNetExtractor.Load(options.FeatureWeights!);
        using var dataset = new LddGan.Engine.Data.FashionMnistDataset(new() { Split = "test", Limit = 64 });
        using var real = EvaluationRunner.ExtractDataset(dataset, 64, extractor, 20);
        using var stats = FeatureStatistics.FromFeatures(real);
        Assert.That(Math.Abs(FrechetDistance.Compute(stats, stats)), Is.LessThan(1e-6));
        Assert.That(PrecisionRecall.Compute(real, real), Is.EqualTo(new PrecisionRecallResult(1, 1, 3)));

        string reportPath = EvaluationReport.DefaultPath(run);
        Assert.That(reportPath, Is.EqualTo(Path.Combine(run, "eval.json")));
        Assert.That(EvaluationReport.DefaultPath(first.Checkpoint), Is.EqualTo(Path.Combine(run, "eval.json")), "a checkpoint inside a run");
        string lone = Path.Combine(Path.GetTempPath(), "shipped", "model.ckpt");
        Assert.That(EvaluationReport.DefaultPath(lone), Is.EqualTo(Path.GetFullPath(Path.Combine("runs", "eval", "model.eval.json"))),
                    "a lone checkpoint's report does not go beside it");
        first.Save(reportPath);
        Assert.That(EvaluationReport.FromJson(File.ReadAllText(reportPath)), Is.EqualTo(first));
        Assert.That(File.ReadAllText(reportPath), Does.Contain("\"fid\":").And.Contain("\"nfe\": 4"));
    }

    [Test]
    public void AnInterruptedEvaluationResumesFromItsProgressFileWithTheSameSamples()
    {
        string run = Train(TinyFashionMnist, "run");
        string progressFile = Path.Combine(_dir, "eval.json.partial");
        var options = new EvaluationOptions
        {
            Count = 96, BatchSize = 32, Seed = 5, FeatureWeights = EvaluationFixtures.RandomFeatureNet(_dir), CacheFolder = Path.Combine(_dir, "cache"),
        };
        var runner = new EvaluationRunner(TestCatalog.Create());
        var uninterrupted = runner.Run(run, options);

        // Stopped after the second batch of samples, as a killed process would be (the file is written before the progress report).
        var stop = new SynchronousProgress(p => { if (p.Stage == "samples" && p.Done == 64) throw new OperationCanceledException("stopped"); });
        Assert.Throws<OperationCanceledException>(() => runner.Run(run, options with { ProgressFile = progressFile }, stop));
        Assert.That(File.Exists(progressFile), Is.True, "the features of the finished batches are kept");

        var resumed = runner.Run(run, options with { ProgressFile = progressFile });
        Assert.Multiple(() =>
        {
            Assert.That(resumed.ResumedSamples, Is.EqualTo(64));
            Assert.That((resumed.Fid, resumed.Precision, resumed.Recall), Is.EqualTo((uninterrupted.Fid, uninterrupted.Precision, uninterrupted.Recall)),
                        "the resumed stream draws the same noise as an uninterrupted one");
            Assert.That(File.Exists(progressFile), Is.False, "removed once complete");
        });

        // A progress file made with another seed is not mixed in: the evaluation starts over.
        Assert.Throws<OperationCanceledException>(() => runner.Run(run, options with { ProgressFile = progressFile, Seed = 6 }, stop));
        var restarted = runner.Run(run, options with { ProgressFile = progressFile });
        Assert.That(restarted.ResumedSamples, Is.EqualTo(0));
        Assert.That(restarted.ProgressFileDiscarded, Does.Contain("Seed = 6").And.Contain("starting over"));
        Assert.That(restarted.Fid, Is.EqualTo(uninterrupted.Fid));
    }

    /// <summary>A one-step run of the tiny recipe, and the recipe itself as a file (an untrained model of the same configuration).</summary>
    private (string Run, string Recipe) TrainedRunAndItsRecipe()
    {
        string run = Train(TinyFashionMnist, "run");
        string recipe = Path.Combine(_dir, "tiny-fmnist.toml");
        File.WriteAllText(recipe, TinyFashionMnist);
        return (run, recipe);
    }

    [Test]
    public void BenchCountsTheGeneratorsMultiplyAddsOverAllSteps()
    {
        var (run, recipe) = TrainedRunAndItsRecipe();
        var options = new BenchmarkOptions { Repeats = 3, Warmup = 1, Images = 8, BatchSize = 4 };
        var trained = SamplingBenchmark.Run(run, TestCatalog.Create(), options);
        var untrained = SamplingBenchmark.Run(recipe, TestCatalog.Create(), options);
        // TinyDenoiser on 1×32×32: Linear(1024 + 4 (z) + 4 (t one-hot) → 32) and Linear(32 → 1024): 33,024 + 32,768 = 65,792
        // multiply-adds per call; 4 calls (NFE) per sample; pixel space decodes for free.
        const long perSample = 4 * (1032 * 32 + 32 * 1024);
        Assert.Multiple(() =>
        {
            Assert.That(trained.MacsPerSample, Is.EqualTo(perSample));
            Assert.That(trained.FlopsPerSample, Is.EqualTo(2 * perSample));
            Assert.That(untrained.MacsPerSample, Is.EqualTo(perSample));
            Assert.That(trained.Nfe, Is.EqualTo(4));
            Assert.That(trained.Trained, Is.True);
            Assert.That(untrained.Trained, Is.False);
            Assert.That(untrained.Label, Does.Contain("untrained"));
            Assert.That(trained.GeneratorParameters, Is.EqualTo(1032 * 32 + 32 + 32 * 1024 + 1024));
            Assert.That(trained.DecoderParameters, Is.Zero);
            Assert.That(trained.RunSeconds, Has.Count.EqualTo(3));
            Assert.That(trained.SecondsPer100Images, Is.EqualTo(SamplingBenchmark.Median(trained.RunSeconds) * 100 / 8).Within(1e-12));
        });
        if (PeakMemory.IsAvailable)
            Assert.That(trained.PeakRssBytes, Is.GreaterThanOrEqualTo(trained.BaselineRssBytes!.Value));
        var ratios = BenchmarkRatios.Of(untrained, trained);
        Assert.That((ratios.Parameters, ratios.Flops), Is.EqualTo((1.0, 1.0)));
        var roundTrip = SamplingBenchmark.FromJson(SamplingBenchmark.ToJson([trained, untrained]));
        Assert.That(roundTrip.Select(r => (r.Label, r.MacsPerSample)), Is.EqualTo(new[] { (trained.Label, perSample), (untrained.Label, perSample) }));
        Assert.That(trained.TimedSideBySide, Is.False, "timed alone");
        Assert.That(ratios.TimeSpread, Is.Null, "no rounds, no spread");
        Assert.That(ratios.Time, Is.EqualTo(untrained.SecondsPer100Images / trained.SecondsPer100Images).Within(1e-12), "apart: the ratio of the medians");
    }

    [Test]
    public void BenchSideBySideTimesTheModelsInRotatingRoundsAndComparesThemRunByRun()
    {
        var (run, recipe) = TrainedRunAndItsRecipe();
        var options = new BenchmarkOptions { Repeats = 4, Warmup = 1, Images = 8, BatchSize = 4 };
        var lines = new List<string>();
        var results = SamplingBenchmark.RunSideBySide([run, recipe], TestCatalog.Create(), options, lines.Add);
        var (trained, untrained) = (results[0], results[1]);
        // One timed run of each model per round; the round's first model rotates, so neither always runs first.
        var order = lines.Select(l => l.StartsWith(untrained.Label + ":") ? "u" : l.StartsWith(trained.Label + ":") ? "t" : "?").ToArray();
        Assert.That(string.Join("", order), Is.EqualTo("tuuttuut"));
        Assert.That(lines[1], Does.EndWith("run 1/4: " + untrained.RunSeconds[0].ToString("F3") + " s"));
        Assert.That(results.Select(r => (r.TimedSideBySide, r.RunSeconds.Count)), Is.All.EqualTo((true, 4)));
        Assert.That(trained.MacsPerSample, Is.EqualTo(untrained.MacsPerSample));
        // Side by side, the time ratio pairs the runs of each round: the median of run-by-run ratios, not of medians.
        var perRound = untrained.RunSeconds.Zip(trained.RunSeconds, (u, t) => u / t).Order().ToArray();
        var ratios = BenchmarkRatios.Of(untrained, trained);
        Assert.That(ratios.Time, Is.EqualTo((perRound[1] + perRound[2]) / 2).Within(1e-12));
        // Quartiles of four values, interpolated as numpy does: positions 0.75 and 2.25 of the sorted ratios.
        Assert.That(ratios.TimeSpread!.Lower, Is.EqualTo(perRound[0] + 0.75 * (perRound[1] - perRound[0])).Within(1e-12));
        Assert.That(ratios.TimeSpread!.Upper, Is.EqualTo(perRound[2] + 0.25 * (perRound[3] - perRound[2])).Within(1e-12));
        Assert.That(BenchmarkRatios.Of(trained, trained).Time, Is.EqualTo(1.0));
        var roundTrip = SamplingBenchmark.FromJson(SamplingBenchmark.ToJson(results));
        Assert.That(roundTrip.Select(r => r.TimedSideBySide), Is.All.True);
        Assert.That(BenchmarkRatios.Of(roundTrip[1], roundTrip[0]).Time, Is.EqualTo(BenchmarkRatios.Of(untrained, trained).Time));
    }

    [Test]
    public void MissingInputsAreClearErrors()
    {
        var runner = new EvaluationRunner(TestCatalog.Create());
        var options = new EvaluationOptions { Count = 8, BatchSize = 8, CacheFolder = Path.Combine(_dir, "cache") };
        Assert.That(Assert.Throws<CheckpointException>(() => runner.Run(Path.Combine(_dir, "none.ckpt"), options))!.Message, Does.Contain("not found"));

        string fmnist = Train(TinyFashionMnist, "fmnist");
        var e = Assert.Throws<EvaluationException>(() => runner.Run(fmnist, options with { FeatureWeights = Path.Combine(_dir, "missing.bin") }))!;
        Assert.That(e.Message, Does.Contain("missing.bin").And.Contain("fashion-mnist-feature-net.csx"));
        e = Assert.Throws<EvaluationException>(() => runner.Run(fmnist, options with { Features = "inceptionv9" }))!;
        Assert.That(e.Message, Does.Contain("inceptionv9").And.Contain("fmnist"));
        Assert.Throws<EvaluationException>(() => runner.Run(fmnist, options with { Count = 3 }));
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<EvaluationProgress> report) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value) => report(value);
    }
}
