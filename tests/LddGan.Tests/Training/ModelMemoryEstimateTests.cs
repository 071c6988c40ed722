using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Plugins;
using LddGan.Engine.Models;
using LddGan.Engine.Recipes;
using LddGan.Engine.Runs;
using LddGan.Engine.Sessions;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Training;

/// <summary>Recipes too large for memory are refused before allocating; the estimate leaves real builds untouched.</summary>
[NonParallelizable] // the estimate switches libtorch's process-wide default device while it builds on meta
public sealed class ModelMemoryEstimateTests
{
    private PluginManager _plugins = null!;
    private string _dir = "";

    [OneTimeSetUp]
    public void LoadPlugins()
    {
        _plugins = new PluginManager(PluginManager.DefaultFolders(), LddGan.Evaluation.BuiltInComponents.Assemblies);
        _plugins.LoadAll();
    }

    [OneTimeTearDown]
    public void UnloadPlugins() => _plugins.Dispose();

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("lddgan-memory-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private Recipe ShippedDdgan(string generatorWidth)
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "LddGan.Framework.sln"))) dir = dir.Parent;
        string toml = File.ReadAllText(Path.Combine(dir.FullName, "recipes", "ddgan-fashion-mnist.toml"));
        toml = System.Text.RegularExpressions.Regex.Replace(toml, @"(?m)^nf = \d+", "nf = " + generatorWidth);
        return new RecipeLoader(_plugins.Catalog).Parse(toml, "ddgan-fashion-mnist.toml");
    }

    [Test]
    public void AGeneratorLargerThanMemoryIsRefusedBeforeAnythingIsAllocatedOrWritten()
    {
        // nf 3072 makes a ~43 GiB generator (x5 for training): no machine this suite runs on has that free.
        var recipe = ShippedDdgan("3072");
        string run = Path.Combine(_dir, "run");
        var error = Assert.Throws<RunSetupException>(() => new TrainingSession(recipe, _plugins.Catalog, _plugins.Plugins,
            new TrainingSessionOptions { RunDirectory = run }, new TextTrainingObserver(TextWriter.Null)))!;
        Assert.That(error.Message, Does.Contain("nothing was allocated").And.Contain("[generator] nf"));
        Assert.That(get_default_device().type, Is.EqualTo(TorchSharp.DeviceType.CPU), "the default device is restored");
        Assert.That(Directory.Exists(Path.Combine(run, "checkpoints")), Is.False);
    }

    [Test]
    public void TheMetaCountMatchesTheRealNetworksAndLeavesTheirInitialisationUnchanged()
    {
        var recipe = ShippedDdgan("16");
        var builder = DiffusionModel.ComponentBuilderFor(_plugins.Catalog);
        var shape = new SampleShape(1, 32, 32);
        var context = new ComponentContext(shape, shape, 2, CPU);

        manual_seed(11);
        using var plain = builder.Build<Denoiser>(recipe.Generator, context);
        manual_seed(11);
        var estimate = ModelMemoryEstimate.ParameterBytes(builder, recipe, context);
        using var afterEstimate = builder.Build<Denoiser>(recipe.Generator, context);
        using var discriminator = builder.Build<Discriminator>(recipe.Discriminator!, context);

        Assert.That(estimate, Is.Not.Null);
        Assert.That(estimate!.Value.Generator, Is.EqualTo(plain.parameters().Sum(p => p.numel() * 4)));
        Assert.That(estimate.Value.Discriminator, Is.EqualTo(discriminator.parameters().Sum(p => p.numel() * 4)));
        var a = plain.parameters().ToList();
        var b = afterEstimate.parameters().ToList();
        for (int i = 0; i < a.Count; i++) Assert.That(a[i].equal(b[i]).all().item<bool>(), Is.True, $"parameter {i}");
    }
}
