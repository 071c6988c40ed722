using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using LddGan.Engine.Components;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using LddGan.Scripting;
using LddGan.Tests.Support;
using NUnit.Framework;

namespace LddGan.Tests.Scripting;

/// <summary>.csx recipes: diagnostics, runtime errors, arguments, the compile cache, collectible runs, and TOML ≡ script.</summary>
[NonParallelizable]
public sealed class ScriptHostTests
{
    private string _dir = "";
    private ComponentCatalog _catalog = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("lddgan-csx-").FullName;
        _catalog = TestCatalog.Create();
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string code)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, code);
        return path;
    }

    private RecipeContext Globals(string script, params string[] args) => new(script, args, _catalog, [], TextWriter.Null);

    [Test]
    public void CompileErrorsNameTheFileLineAndColumnIncludingLoadedFiles()
    {
        Write("helper.csx", "int broken = \"text\";\n");
        string main = Write("main.csx", "#load \"helper.csx\"\n\nLog(undefinedName);\n");
        var error = Assert.Throws<ScriptCompilationException>(() => new ScriptHost().Run(main, Globals(main)));
        Assert.That(error!.Errors, Has.Some.EqualTo($"{Path.Combine(_dir, "helper.csx")}(1,14): error CS0029: Cannot implicitly convert type 'string' to 'int'"));
        Assert.That(error.Errors, Has.Some.StartWith($"{main}(3,5): error CS0103:"));
    }

    [TestCase(""), TestCase("// only a comment\n\n"), TestCase("/* a block */\n")]
    public void AScriptWithoutCodeSaysSo(string code)
    {
        string main = Write("empty.csx", code);
        var error = Assert.Throws<ScriptCompilationException>(() => new ScriptHost().Run(main, Globals(main)));
        Assert.That(error!.Message, Does.StartWith($"{main}(1,1): error: the script has no code"));
    }

    [Test]
    public void NugetReferencesAreRejectedWithTheLine()
    {
        string main = Write("nuget.csx", "// comment\n#r \"nuget: Foo, 1.0.0\"\n");
        var error = Assert.Throws<ScriptCompilationException>(() => new ScriptHost().Run(main, Globals(main)));
        Assert.That(error!.Message, Does.StartWith($"{main}(2,1): error LDG0001: #r \"nuget:...\" is not supported"));
    }

    [Test]
    public void ARuntimeErrorShowsTheScriptLine()
    {
        string main = Write("throws.csx", "var a = 1;\nvar b = 2;\nthrow new InvalidOperationException(\"boom \" + (a + b));\n");
        var error = Assert.Throws<ScriptRuntimeException>(() => new ScriptHost().Run(main, Globals(main)));
        Assert.That(error!.Message, Is.EqualTo($"{main}(3): InvalidOperationException: boom 3"));
    }

    [Test]
    public void ARecipeMistakeInAScriptNamesTheKeyAndTheScriptLine()
    {
        string main = Write("typo.csx", "var r = Recipe(\"x\")\n  .Data(\"test-blobs\", new { cuont = 3 })\n  .Generator(\"test-tiny\").Discriminator(\"test-tiny\").Build();\n");
        var error = Assert.Throws<ScriptRuntimeException>(() => new ScriptHost().Run(main, Globals(main)));
        Assert.That(error!.Message, Does.StartWith($"{main}(1): RecipeException:").And.Contain("cuont").And.Contain("Did you mean 'count'"));
        Assert.That(error.Message, Does.Not.Contain("(recipe 'x')("), "no positions into the generated TOML");
    }

    [Test]
    public void ArgumentsAndReturnValuesReachTheScript()
    {
        string main = Write("args.csx", "Argument(\"steps\", 1) * 10 + Args.Count");
        Assert.That(new ScriptHost().Run(main, Globals(main, "--steps=4", "extra")), Is.EqualTo(42));
        Assert.That(new ScriptHost().Run(main, Globals(main)), Is.EqualTo(10));
        var bad = Assert.Throws<ScriptRuntimeException>(() => new ScriptHost().Run(main, Globals(main, "--steps", "many")));
        Assert.That(bad!.Message, Does.Contain("--steps").And.Contain("'many'"));
    }

    [Test]
    public void LocalAssembliesCanBeReferenced()
    {
        // #r of a local DLL (here: a copy of the test-components assembly under another folder) resolves in the script's context.
        string libDir = Directory.CreateDirectory(Path.Combine(_dir, "lib")).FullName;
        File.Copy(typeof(TestCatalog).Assembly.Location, Path.Combine(libDir, "LddGan.Tests.dll"));
        string main = Write("ref.csx", "#r \"lib/LddGan.Tests.dll\"\nLddGan.Tests.Support.TestCatalog.TinyRecipe.Length");
        Assert.That(new ScriptHost().Run(main, Globals(main)), Is.EqualTo(TestCatalog.TinyRecipe.Length));
    }

    [Test]
    public void RepeatedRunsCompileOnceAndDoNotGrowTheLoadedAssemblies()
    {
        string main = Write("loop.csx", "var r = Recipe(\"x\").Data(\"test-blobs\").Generator(\"test-tiny\").Discriminator(\"test-tiny\").Build();\nr.Train.BatchSize");
        var host = new ScriptHost();
        RunTimes(host, main, 5);   // warm-up: Roslyn and the host's own assemblies load once
        int before = LoadedAssemblies();
        var weak = RunTimes(host, main, 50);
        int after = LoadedAssemblies();
        TestContext.Progress.WriteLine($"loaded assemblies before 50 runs: {before}, after: {after}; compilations cached: {host.CachedCompilations}");
        Assert.That(host.CachedCompilations, Is.EqualTo(1));
        Assert.That(after, Is.LessThanOrEqualTo(before), "every run's script assembly is unloaded");
        Assert.That(weak.IsAlive, Is.False);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private WeakReference RunTimes(ScriptHost host, string script, int times)
    {
        WeakReference last = new(null);
        for (int i = 0; i < times; i++)
        {
            var value = host.Run(script, Globals(script));
            Assert.That(value, Is.EqualTo(64));
            last = new WeakReference(System.Runtime.Loader.AssemblyLoadContext.All.LastOrDefault(c => c.Name == "lddgan-script"));
        }
        return last;
    }

    private static int LoadedAssemblies()
    {
        for (int i = 0; i < 10; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        return AppDomain.CurrentDomain.GetAssemblies().Length;
    }

    [Test]
    public void ATomlRecipeAndTheEquivalentScriptGiveIdenticalRuns()
    {
        // TOML
        var toml = new RecipeLoader(_catalog).Parse(TestCatalog.TinyRecipe, "tiny.toml");
        using (var session = new TrainingSession(toml, _catalog, [], new TrainingSessionOptions { RunDirectory = Path.Combine(_dir, "toml") }, new TextTrainingObserver(TextWriter.Null)))
            session.Run();
        // The same recipe composed in a script, trained through the script API.
        string main = Write("tiny.csx", """
            var recipe = Recipe("tiny").Seed(7)
                .Data("test-blobs", new { count = 64 })
                .Diffusion("vp", new { num_timesteps = 4 })
                .Generator("test-tiny").Discriminator("test-tiny")
                .Train(new { batch_size = 8, num_epochs = 3, lr_g = 1e-3, lr_d = 1e-3, lazy_reg = 2, r1_gamma = 0.1, ema_decay = 0.9,
                             log_every = 1, sample_every = 0, checkpoint_every = 0, preview_count = 4 })
                .Build();
            int epochs = 0;
            var result = Train(recipe, runDirectory: Args[0], onEpoch: e => epochs++);
            $"{result.Steps} {epochs}"
            """);
        var value = new ScriptHost().Run(main, Globals(main, Path.Combine(_dir, "csx")));
        Assert.That(value, Is.EqualTo("24 3"), "24 steps, 3 epoch callbacks");

        string Hash(string run, string entry)
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(_dir, run, "checkpoints", "latest.ckpt"));
            using var s = zip.GetEntry(entry)!.Open();
            return Convert.ToHexString(SHA256.HashData(s));
        }
        foreach (var entry in new[] { "modules/generator.bin", "modules/generator_ema.bin", "modules/discriminator.bin" })
            Assert.That(Hash("csx", entry), Is.EqualTo(Hash("toml", entry)), entry);
        static IEnumerable<string> Losses(string file) => File.ReadAllLines(file).Select(l => l.Split("\"lr_g\"")[0]);
        Assert.That(Losses(Path.Combine(_dir, "csx", "metrics.jsonl")), Is.EqualTo(Losses(Path.Combine(_dir, "toml", "metrics.jsonl"))));
        Assert.That(File.ReadAllText(Path.Combine(_dir, "csx", "recipe.resolved.toml")).Split("\n[data]")[1],
                    Is.EqualTo(File.ReadAllText(Path.Combine(_dir, "toml", "recipe.resolved.toml")).Split("\n[data]")[1]),
                    "the resolved recipes agree (everything after the header)");
    }

    [Test]
    public void AScriptCanRegisterItsOwnComponent()
    {
        string main = Write("own.csx", """
            public sealed record HalfOptions { public double Weight { get; init; } = 0.5; }
            public sealed class Half(double w) : ILossSchedule { public GeneratorLossWeights WeightsAt(TrainingProgress p) => new(1.0, w); }
            Register(ComponentKind.LossSchedule, "half", (HalfOptions o, ComponentContext c) => new Half(o.Weight));
            var r = Recipe("x").Data("test-blobs").Generator("test-tiny").Discriminator("test-tiny").Loss("half", new { weight = 0.25 }).Build();
            var schedule = (ILossSchedule)Catalog.Resolve(ComponentKind.LossSchedule, "half").Factory.Create(r.Loss.Options, null!);
            schedule.WeightsAt(new TrainingProgress(0, 1, 0)).Reconstruction
            """);
        Assert.That(new ScriptHost().Run(main, Globals(main)), Is.EqualTo(0.25));
    }
}
