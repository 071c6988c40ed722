using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using LddGan.Evaluation;
using LddGan.Tests.Support;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Evaluation;

/// <summary>
/// <c>lddgan eval --reference</c>: any dataset as the reference (a recipe's [data], a folder of images, the checkpoint
/// recipe's own), cached by its content hash when it has one, and clear errors when shapes or features do not fit.
/// Tiny checkpoints (one step of the MLP denoiser) and a randomly initialised feature network: the plumbing is tested.
/// </summary>
[Category("EndToEnd")]
[NonParallelizable]
public sealed class EvaluationReferenceTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("lddgan-eval-reference-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    /// <summary>The tiny recipe on blobs of <paramref name="size"/>² (no content hash, no splits), one step.</summary>
    private static string Blobs(int size) =>
        TestCatalog.TinyRecipe.Replace("count = 64", $"count = 64\nsize = {size}") + "\nmax_steps = 1\n";

    /// <summary>A whole training recipe used only for its [data]: its generator names a plugin that is not loaded.</summary>
    private const string FashionMnistReference = """
        name = "reference"
        [data]
        type = "fashion-mnist"
        split = "train"
        random_flip = true
        limit = 20
        [generator]
        type = "a-plugin-that-is-not-loaded"
        """;

    private string Train(string toml, string name, ComponentCatalog? catalog = null)
    {
        catalog ??= TestCatalog.Create();
        var recipe = new RecipeLoader(catalog).Parse(toml, name + ".toml");
        string run = Path.Combine(_dir, name);
        using var session = new TrainingSession(recipe, catalog, [], new TrainingSessionOptions { RunDirectory = run },
                                                new TextTrainingObserver(TextWriter.Null));
        session.Run();
        return run;
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private EvaluationOptions Options() => new()
    {
        Count = 32, BatchSize = 16, Seed = 3, FeatureWeights = EvaluationFixtures.RandomFeatureNet(_dir), CacheFolder = Path.Combine(_dir, "cache"),
    };

    private string[] CacheFiles() =>
        Directory.Exists(Path.Combine(_dir, "cache")) ? Directory.GetFiles(Path.Combine(_dir, "cache"), "*.ref") : [];

    [Test]
    public void ARecipeReferenceUsesItsDataUnflippedUnlimitedOnTheChosenSplitAndIsCachedByContentHash()
    {
        string run = Train(Blobs(32), "blobs32");
        string recipe = Write("reference.toml", FashionMnistReference);
        var runner = new EvaluationRunner(TestCatalog.Create());
        var options = Options() with { Reference = recipe };

        var first = runner.Run(run, options);
        Assert.Multiple(() =>
        {
            Assert.That(first.Dataset, Is.EqualTo("fashion-mnist"));
            Assert.That(first.Split, Is.EqualTo("test"), "--split (default test) replaces the recipe's split");
            Assert.That(first.ReferenceImages, Is.EqualTo(32), "the recipe's limit = 20 is lifted");
            Assert.That(first.Reference!.Type, Is.EqualTo("fashion-mnist"));
            Assert.That(first.Reference.Origin, Is.EqualTo(recipe));
            Assert.That(first.Reference.Split, Is.EqualTo("test"));
            Assert.That(first.Reference.Count, Is.EqualTo(32));
            Assert.That(first.Reference.Path, Is.Not.Null);
            Assert.That(first.Reference.ContentHash, Does.StartWith("sha256:"));
            Assert.That(first.ReferenceFromCache, Is.False);
            Assert.That(first.ReferenceCacheFile, Is.Not.Null.And.Contains("fashion-mnist-test-fmnist-n32"));
            Assert.That(first.ReferenceNotCached, Is.Null);
            Assert.That(first.Fid, Is.GreaterThan(0).And.Not.NaN);
        });

        var second = runner.Run(run, options);
        Assert.That(second.ReferenceFromCache, Is.True, "the second run reads the cached features");
        Assert.That(second.ReferenceCacheFile, Is.EqualTo(first.ReferenceCacheFile));
        Assert.That((second.Fid, second.Precision, second.Recall), Is.EqualTo((first.Fid, first.Precision, first.Recall)));

        var train = runner.Run(run, options with { Split = "train" });
        Assert.That((train.Split, train.ReferenceFromCache), Is.EqualTo(("train", false)), "another split, another cache entry");
        Assert.That(CacheFiles(), Has.Length.EqualTo(2));

        string json = first.ToJson();
        Assert.That(json, Does.Contain("\"reference\": {").And.Contain("\"content_hash\": \"sha256:").And.Contain("\"origin\":"));
        Assert.That(EvaluationReport.FromJson(json), Is.EqualTo(first));
    }

    [Test]
    public void ADatasetWithoutAContentHashIsEvaluatedWithoutTheCacheAndTheReportSaysSo()
    {
        string run = Train(Blobs(32), "blobs32");
        var runner = new EvaluationRunner(TestCatalog.Create());
        var first = runner.Run(run, Options());
        var second = runner.Run(run, Options());
        Assert.Multiple(() =>
        {
            Assert.That(first.Reference!.Type, Is.EqualTo("test-blobs"));
            Assert.That(first.Reference.Origin, Is.EqualTo("the checkpoint's recipe"));
            Assert.That(first.Reference.Split, Is.Null, "the blobs have no splits");
            Assert.That(first.Split, Is.EqualTo("none"));
            Assert.That(first.Reference.ContentHash, Is.Null);
            Assert.That(first.ReferenceCacheFile, Is.Null);
            Assert.That(first.ReferenceNotCached, Does.Contain("no content hash"));
            Assert.That(second.ReferenceFromCache, Is.False);
            Assert.That(CacheFiles(), Is.Empty, "nothing is cached");
            Assert.That(second.Fid, Is.EqualTo(first.Fid), "the same features, computed twice");
        });
    }

    [Test]
    public void AReferenceOfAnotherShapeIsAnErrorNamingBothShapes()
    {
        string run = Train(Blobs(8), "blobs8");
        string recipe = Write("reference.toml", FashionMnistReference);
        var e = Assert.Throws<EvaluationException>(() => new EvaluationRunner(TestCatalog.Create()).Run(run, Options() with { Reference = recipe }))!;
        Assert.That(e.Message, Does.Contain("1x32x32").And.Contain("1x8x8").And.Contain("--reference").And.Contain("fashion-mnist"));
    }

    [Test]
    public void ColourSamplesWithTheFashionMnistFeaturesPointToTheInceptionFeatures()
    {
        var catalog = TestCatalog.Create();
        catalog.Register(new ComponentRegistration(ComponentKind.Dataset, "test-colour-blobs", "3-channel blobs", new ColourBlobsFactory(), "tests"));
        string run = Train(Blobs(8).Replace("type = \"test-blobs\"", "type = \"test-colour-blobs\""), "colour", catalog);
        var e = Assert.Throws<EvaluationException>(() => new EvaluationRunner(catalog).Run(run, Options()))!;
        Assert.That(e.Message, Does.Contain("3x8x8").And.Contain("--features inception"));
    }

    [Test]
    public void AFolderReferenceIsAnImageFolderDatasetOfTheSamplesShape()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "images")).FullName;
        // Without the image-folder dataset (built here without the real one, whichever build runs the test): a clear error.
        var without = new ComponentCatalog();
        foreach (var r in TestCatalog.Create().Registrations.Where(r => r.Name != ReferenceSource.ImageFolderType)) without.Register(r);
        var data = new ComponentSpec(ComponentKind.Dataset, "test-blobs", new BlobOptions());
        var e = Assert.Throws<EvaluationException>(() => ReferenceSource.Resolve(folder, data, new SampleShape(3, 16, 16), without))!;
        Assert.That(e.Message, Does.Contain("image-folder").And.Contain(folder).And.Contain(".toml"));

        // With one (a stand-in with the real one's path, resolution and channels): the samples' side and channels.
        without.Register(new ComponentRegistration(ComponentKind.Dataset, ReferenceSource.ImageFolderType, "stand-in", new StandInImageFolderFactory(), "tests"));
        var source = ReferenceSource.Resolve(folder, data, new SampleShape(3, 16, 16), without);
        Assert.That(source.Data.Type, Is.EqualTo("image-folder"));
        Assert.That(source.Origin, Is.EqualTo(folder));
        Assert.That(source.Data.Options, Is.EqualTo(new StandInImageFolderOptions { Path = folder, Resolution = 16, Channels = 3 }));

        Assert.That(ReferenceSource.Resolve(null, data, new SampleShape(1, 8, 8), without).Data, Is.SameAs(data));
        var missing = Assert.Throws<EvaluationException>(() => ReferenceSource.Resolve(Path.Combine(_dir, "nowhere"), data, new SampleShape(1, 8, 8), without))!;
        Assert.That(missing.Message, Does.Contain("nowhere").And.Contain("no such recipe file or folder"));
    }

    /// <summary>Blobs in three channels (the second and third are the first, negated and halved): colour images.</summary>
    private sealed class ColourBlobsFactory : ComponentFactory<BlobOptions, ColourBlobs>
    {
        public override ColourBlobs Create(BlobOptions o, ComponentContext c) => new(new BlobDataset(o.Count, o.Size));
    }

    private sealed class ColourBlobs(BlobDataset grey) : IDataset
    {
        public string Name => "test-colour-blobs";
        public long Count => grey.Count;
        public SampleShape Shape => grey.Shape with { Channels = 3 };

        public Tensor GetBatch(ReadOnlySpan<long> indices, TorchSharp.torch.Generator? augmentation = null)
        {
            using var g = grey.GetBatch(indices, augmentation);
            return cat([g, -g, g * 0.5], 1);
        }

        public void Dispose() => grey.Dispose();
    }

    private sealed record StandInImageFolderOptions
    {
        public string Path { get; init; } = "";
        public int Resolution { get; init; } = 64;
        public int Channels { get; init; } = 3;
        public bool RandomFlip { get; init; } = true;
    }

    private sealed class StandInImageFolderFactory : ComponentFactory<StandInImageFolderOptions, BlobDataset>
    {
        public override BlobDataset Create(StandInImageFolderOptions o, ComponentContext c) => new(4, o.Resolution);
    }

    [Test]
    public void TheRealDataFloorMeasuresTrainingImagesAgainstTestImagesAndRefusesADatasetWithoutSplits()
    {
        var runner = new EvaluationRunner(TestCatalog.Create());
        var floor = runner.RunRealData(Write("reference.toml", FashionMnistReference), Options() with { Count = 64 });
        var mismatched = runner.Run(Train(Blobs(32), "blobs32"), Options() with { Count = 64, Reference = Write("reference2.toml", FashionMnistReference) });
        string blobs = Write("blobs.toml", Blobs(32));
        var error = Assert.Throws<EvaluationException>(() => runner.RunRealData(blobs, Options()));
        Assert.Multiple(() =>
        {
            Assert.That(floor.Checkpoint, Does.Contain("fashion-mnist train"));
            Assert.That(floor.Split, Is.EqualTo("test"));
            Assert.That(floor.Samples, Is.EqualTo(64));
            Assert.That(floor.Fid, Is.LessThan(mismatched.Fid), "real training images are closer to the test images than an untrained model's samples");
            Assert.That(floor.Recall, Is.GreaterThan(mismatched.Recall));
            Assert.That(error!.Message, Does.Contain("no train and test splits"));
        });
    }
}
