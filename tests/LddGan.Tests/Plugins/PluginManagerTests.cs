using System.Runtime.CompilerServices;
using LddGan.Abstractions;
using LddGan.Engine.Components;
using LddGan.Engine.Plugins;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;
using Spec = LddGan.Tests.Plugins.TinyPluginCompiler.Spec;

namespace LddGan.Tests.Plugins;

/// <summary>
/// Plugin discovery, bad plugins, clashes, version checks and hot swap, with tiny plugins compiled by the test
/// (<see cref="TinyPluginCompiler"/>) into a fresh plugin folder.
/// <para>
/// Helpers read <c>manager.Catalog</c> inside their own (non-inlined) frames: a catalog read in the test method itself
/// can stay referenced from an unoptimised frame until the method returns, which would keep a retired load context
/// alive and make the collection checks fail for a reason that has nothing to do with the host.
/// </para>
/// </summary>
[NonParallelizable]
public sealed class PluginManagerTests
{
    private string _root = "";
    private static readonly ComponentContext Context = new(new SampleShape(1, 4, 4), new SampleShape(1, 4, 4), 4, CPU);

    [SetUp]
    public void CreateFolder() => _root = Directory.CreateTempSubdirectory("lddgan-plugins-").FullName;

    [TearDown]
    public void DeleteFolder()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    [Test]
    public void DiscoversEveryPluginWithItsVersionAndComponents()
    {
        TinyPluginCompiler.Write(_root, new Spec("Alpha", "alpha", Version: "1.2.3"));
        TinyPluginCompiler.Write(_root, new Spec("Beta", "beta"));
        using var manager = new PluginManager([_root]);
        var problems = manager.LoadAll();

        Assert.That(problems, Is.Empty);
        Assert.That(manager.Plugins.Select(p => p.Name), Is.EqualTo(new[] { "Alpha", "Beta" }));
        var alpha = manager.Plugins[0];
        Assert.Multiple(() =>
        {
            Assert.That(alpha.Version, Is.EqualTo("1.2.3"));
            Assert.That(alpha.AbstractionsVersion, Is.EqualTo(PluginInspector.HostAbstractionsVersion.ToString(3)));
            Assert.That(alpha.Sha256, Has.Length.EqualTo(64));
            Assert.That(alpha.Components.Single().Version, Is.EqualTo("1.2.3"), "a component without its own version takes the plugin's");
            Assert.That(OutputOf(manager, "alpha"), Is.EqualTo(1f));
            Assert.That(manager.Catalog.NamesOf(ComponentKind.Denoiser), Is.EquivalentTo(new[] { "alpha", "beta" }));
            Assert.That(manager.Catalog.NamesOf(ComponentKind.DiffusionProcess), Does.Contain("vp"), "built-ins are always there");
        });
    }

    [Test]
    public void FindsTheDdganPluginNextToTheHost()
    {
        using var manager = new PluginManager(PluginManager.DefaultFolders(), LddGan.Evaluation.BuiltInComponents.Assemblies);
        manager.LoadAll();
        var ddgan = manager.Plugins.Single(p => p.Name == "LddGan.Plugins.Ddgan");
        Assert.That(ddgan.Components.Select(c => c.Name), Is.SupersetOf(new[] { "ncsnpp", "ddgan-small", "ddgan-large", "conv-small", "toy-mlp" }));
        Assert.That(Path.GetDirectoryName(ddgan.AssemblyPath), Does.Not.Contain("TorchSharp"));
        Assert.That(File.Exists(Path.Combine(Path.GetDirectoryName(ddgan.AssemblyPath)!, "TorchSharp.dll")), Is.False,
                    "a plugin must not ship TorchSharp");
    }

    [Test]
    public void EmptyOrMissingFoldersAndNonPluginsAreReportedNotFatal()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_root, "empty")).FullName;
        string junkFolder = Path.Combine(_root, "junk");
        Directory.CreateDirectory(Path.Combine(junkFolder, "Native"));
        File.WriteAllBytes(Path.Combine(junkFolder, "Native", "Native.dll"), [0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3, 4]);
        Directory.CreateDirectory(Path.Combine(junkFolder, "NoDll"));
        TinyPluginCompiler.Write(junkFolder, new Spec("Empty") { WithoutComponent = true });
        TinyPluginCompiler.Write(junkFolder, new Spec("Good", "good"));

        using var manager = new PluginManager([empty, Path.Combine(_root, "missing"), junkFolder]);
        var messages = manager.LoadAll().Select(p => p.Message).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(messages, Has.Some.Contains("no plugins in").And.Contains(empty));
            Assert.That(messages, Has.Some.Contains("does not exist"));
            Assert.That(messages, Has.Some.Contains("Native.dll").And.Contains("not a").And.Contains(".NET assembly"));
            Assert.That(messages, Has.Some.Contains("has no NoDll.dll"));
            Assert.That(messages, Has.Some.Contains("Empty.dll declares no components"));
            Assert.That(manager.Plugins.Select(p => p.Name), Is.EqualTo(new[] { "Good" }), "the good plugin still loads");
        });
    }

    [Test]
    public void ANameClashKeepsTheFirstAndNamesBothPaths()
    {
        string first = TinyPluginCompiler.Write(_root, new Spec("First", "same", Output: 1));
        string second = TinyPluginCompiler.Write(_root, new Spec("Second", "same", Output: 2));
        using var manager = new PluginManager([_root]);
        var problem = manager.LoadAll().Single();

        Assert.That(problem.Message, Does.Contain("named 'same'").And.Contain(first).And.Contain(second));
        Assert.That(manager.Plugins.Select(p => p.Name), Is.EqualTo(new[] { "First" }));
        Assert.That(OutputOf(manager, "same"), Is.EqualTo(1f));
    }

    [Test]
    public void APluginBuiltAgainstAnotherAbstractionsMajorIsRejectedBeforeLoading()
    {
        string other = TinyPluginCompiler.WriteAbstractions(Path.Combine(_root, "..", Path.GetFileName(_root) + "-abstractions-2"), "2.0.0");
        string dll = TinyPluginCompiler.Write(_root, new Spec("Future", "future"), abstractionsPath: other);
        using var manager = new PluginManager([_root]);
        var problem = manager.LoadAll().Single();

        Assert.That(problem.Message, Does.Contain(dll).And.Contain("LddGan.Abstractions 2.0.0")
                                          .And.Contain(PluginInspector.HostAbstractionsVersion.ToString(3)).And.Contain("major"));
        Assert.That(manager.Plugins, Is.Empty);
        Directory.Delete(Path.GetDirectoryName(other)!, recursive: true);
    }

    [Test]
    public void APluginNeedingANewerAbstractionsMinorIsRejected()
    {
        var host = PluginInspector.HostAbstractionsVersion;
        string newer = $"{host.Major}.{host.Minor + 1}.0";
        string other = TinyPluginCompiler.WriteAbstractions(_root + "-abstractions-newer", newer);
        TinyPluginCompiler.Write(_root, new Spec("Newer", "newer"), abstractionsPath: other);
        using var manager = new PluginManager([_root]);
        Assert.That(manager.LoadAll().Single().Message, Does.Contain($"LddGan.Abstractions {newer}").And.Contain("newer than this host"));
        Directory.Delete(Path.GetDirectoryName(other)!, recursive: true);
    }

    [Test]
    public void ARecipeNamesItsPluginFoldersRelativeToItself()
    {
        string recipe = Path.Combine(_root, "r.toml");
        File.WriteAllText(recipe, "name = \"x\"\nplugin_folders = [\"my-plugins\", \"/abs/other\"]\n[data]\ntype = \"25-gaussians\"\n");
        Assert.That(LddGan.Engine.Recipes.RecipeDocument.Read(recipe).PluginFolders,
                    Is.EqualTo(new[] { Path.Combine(_root, "my-plugins"), "/abs/other" }));
        File.WriteAllText(recipe, "plugin_folders = \"not-an-array\"\n");
        var error = Assert.Throws<LddGan.Engine.Recipes.RecipeException>(() => _ = LddGan.Engine.Recipes.RecipeDocument.Read(recipe).PluginFolders);
        Assert.That(error!.Message, Does.Contain("plugin_folders").And.Contain("r.toml"));
    }

    [Test]
    public void AFactoryThatThrowsIsReportedAndTheOthersLoad()
    {
        TinyPluginCompiler.Write(_root, new Spec("Broken", "broken") { FactoryConstructor = "throw new System.InvalidOperationException(\"boom in the factory\");" });
        TinyPluginCompiler.Write(_root, new Spec("Fine", "fine"));
        using var manager = new PluginManager([_root]);
        var problem = manager.LoadAll().Single();

        Assert.That(problem.Message, Does.Contain("Broken.dll").And.Contain("could not be constructed").And.Contain("boom in the factory"));
        Assert.That(manager.Plugins.Select(p => p.Name), Is.EqualTo(new[] { "Fine" }));
    }

    [Test]
    public void ARebuiltPluginIsSwappedInAndTheOldContextIsCollected()
    {
        string dll = TinyPluginCompiler.Write(_root, new Spec("Swap", "swap", Output: 1, Version: "1.0.0"));
        using var manager = new PluginManager([_root]);
        manager.LoadAll();
        // A run in progress holds a module of the first version.
        var run = RunInProgress.Start(manager, "swap");

        TinyPluginCompiler.Write(_root, new Spec("Swap", "swap", Output: 2, Version: "2.0.0"));
        Assert.That(manager.Refresh().CatalogChanged, Is.False, "a changed file is loaded once it has stopped changing");
        var refresh = manager.Refresh();

        Assert.That(refresh.Swapped.Single().Version, Is.EqualTo("2.0.0"));
        Assert.That(refresh.Swapped.Single().Generation, Is.EqualTo(2));
        Assert.That(OutputOf(manager, "swap"), Is.EqualTo(2f), "the next run uses the new version");
        Assert.That(run.Output(), Is.EqualTo(1f), "the run in progress is untouched");
        Assert.That(manager.HasPendingSwaps, Is.True);

        run.Finish();
        manager.ConfirmSwaps();
        Assert.That(manager.RetiredContexts, Has.Count.EqualTo(1));
        Assert.That(manager.CountLiveRetiredContexts(), Is.Zero, "the first version's load context was collected");
        Assert.That(run.ModuleReference.IsAlive, Is.False);
        Assert.That(manager.Plugins.Single().AssemblyPath, Is.EqualTo(dll));
    }

    [Test]
    public void ANewVersionThatFailsKeepsThePreviousOneServing()
    {
        TinyPluginCompiler.Write(_root, new Spec("Flaky", "flaky", Output: 1));
        using var manager = new PluginManager([_root]);
        manager.LoadAll();

        // A rebuilt DLL that does not load at all: the working version stays, with a message.
        string dll = Path.Combine(_root, "Flaky", "Flaky.dll");
        File.WriteAllBytes(dll, [1, 2, 3]);
        var refresh = manager.Refresh(waitForStableFiles: false);
        Assert.That(refresh.Problems.Single().Message, Does.Contain("Flaky.dll").And.Contain("previous version keeps serving"));
        Assert.That(OutputOf(manager, "flaky"), Is.EqualTo(1f));
        Assert.That(manager.Refresh(waitForStableFiles: false).Problems, Is.Empty, "the same broken file is not retried on every poll");

        // A rebuilt plugin that loads but whose component throws when built: revert to the previous version.
        TinyPluginCompiler.Write(_root, new Spec("Flaky", "flaky", Output: 3) { BeforeCreate = "throw new System.InvalidOperationException(\"boom in Create\");" });
        Assert.That(manager.Refresh(waitForStableFiles: false).Swapped, Has.Count.EqualTo(1));
        Assert.That(BuildError(manager, "flaky"), Does.Contain("boom in Create"));
        var restored = manager.RevertSwaps();
        Assert.That(restored.Single().Generation, Is.EqualTo(1));
        Assert.That(OutputOf(manager, "flaky"), Is.EqualTo(1f));
        // (No collection check here: the runtime may keep the last exception thrown on a thread, and with it the failed
        // version's types, alive until that thread throws again.)
        Assert.That(manager.RetiredContexts, Has.Count.EqualTo(1));
        Assert.That(manager.Refresh(waitForStableFiles: false).CatalogChanged, Is.False, "the failed build is not loaded again");
    }

    /// <summary>A module held by a "run" until it finishes; nothing else keeps it (or its load context) alive.</summary>
    private sealed class RunInProgress
    {
        private Denoiser? _module;
        public WeakReference ModuleReference { get; private init; } = new(null);

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static RunInProgress Start(PluginManager manager, string name)
        {
            var (module, weak) = BuildModule(manager.Catalog, name);
            return new RunInProgress { _module = module, ModuleReference = weak };
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public float Output() => Forward(_module!);

        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Finish()
        {
            _module!.Dispose();
            _module = null;
        }
    }

    /// <summary>The message of building a component that throws; the exception (and its stack) is not kept.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string BuildError(PluginManager manager, string name)
    {
        try { OutputOf(manager, name); return "no error"; }
        catch (InvalidOperationException e) { return e.Message; }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Denoiser Module, WeakReference Weak) BuildModule(ComponentCatalog catalog, string name)
    {
        var registration = catalog.Resolve(ComponentKind.Denoiser, name);
        var module = (Denoiser)registration.Factory.Create(registration.Factory.CreateDefaultOptions(), Context);
        return (module, new WeakReference(module));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Forward(Denoiser module)
    {
        using var scope = NewDisposeScope();
        return module.call(zeros(1, 1, 4, 4), zeros([1], ScalarType.Int64), zeros(1, 1)).mean().item<float>();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float OutputOf(PluginManager manager, string name)
    {
        var (module, _) = BuildModule(manager.Catalog, name);
        using (module) return Forward(module);
    }
}
