using LddGan.Engine.Plugins;
using LddGan.Engine.Recipes;
using LddGan.Scripting;
using NUnit.Framework;

namespace LddGan.Tests.Recipes;

/// <summary>Every recipe in recipes/ stays usable: the TOML ones load against the shipped plugins, the scripts compile.</summary>
[NonParallelizable]
public sealed class ShippedRecipesTests
{
    private static string RecipesFolder()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LddGan.Framework.sln"))) dir = dir.Parent;
        Assert.That(dir, Is.Not.Null, "repository root not found above the test directory");
        return Path.Combine(dir!.FullName, "recipes");
    }

    private static IEnumerable<string> Files(string pattern) =>
        Directory.GetFiles(RecipesFolder(), pattern).OrderBy(f => f, StringComparer.Ordinal);

    [Test]
    public void EveryTomlRecipeLoads()
    {
        using var plugins = new PluginManager(PluginManager.DefaultFolders(), LddGan.Evaluation.BuiltInComponents.Assemblies);
        plugins.LoadAll();
        var loader = new RecipeLoader(plugins.Catalog);
        var autoencoderLoader = new AutoencoderRecipeLoader(plugins.Catalog);
        var files = Files("*.toml").ToList();
        Assert.That(files.Select(Path.GetFileName), Has.Member("wddgan-fashion-mnist-wavelet.toml").And.Member("lddgan-fashion-mnist-autoencoder.toml").And.Member("lddgan-fashion-mnist.toml"));
        Assert.Multiple(() =>
        {
            foreach (var file in files)
                Assert.DoesNotThrow(() =>
                {
                    var document = RecipeDocument.Read(file);
                    if (document.IsAutoencoder) autoencoderLoader.Bind(document);
                    else loader.Bind(document);
                }, Path.GetFileName(file));
        });
    }

    [Test]
    public void RecipesOfTheSameNameAsTomlAndScriptAreTheSameRecipe()
    {
        // ddgan-quick.csx builds its recipe with common.csx's QuickDdgan(steps); with steps 0 it must resolve to exactly
        // what ddgan-quick.toml resolves to.
        using var plugins = new PluginManager(PluginManager.DefaultFolders(), LddGan.Evaluation.BuiltInComponents.Assemblies);
        plugins.LoadAll();
        string recipes = RecipesFolder();
        string script = Path.Combine(Directory.CreateTempSubdirectory("lddgan-same-name-").FullName, "compare.csx");
        File.WriteAllText(script, $$"""
            #load "{{Path.Combine(recipes, "common.csx")}}"
            var fromScript = QuickDdgan(0).Build().ToToml();
            var fromToml = LoadRecipe(@"{{Path.Combine(recipes, "ddgan-quick.toml")}}").ToToml();
            fromScript == fromToml ? "same" : "script:\n" + fromScript + "\ntoml:\n" + fromToml
            """);
        try
        {
            var result = new ScriptHost().Run(script, new RecipeContext(script, [], plugins.Catalog, [], TextWriter.Null));
            Assert.That(result, Is.EqualTo("same"));
            Assert.That(File.ReadAllText(Path.Combine(recipes, "ddgan-quick.csx")), Does.Contain("QuickDdgan(steps)"));
        }
        finally { Directory.Delete(Path.GetDirectoryName(script)!, recursive: true); }
    }

    [Test, Category(TestTiers.Slow)]
    public void EveryScriptCompiles()
    {
        var host = new ScriptHost();
        var files = Files("*.csx").ToList();
        Assert.That(files.Select(Path.GetFileName), Has.Member("wddgan-fashion-mnist.csx").And.Member("wavelet-uvit.csx").And.Member("lddgan-fashion-mnist.csx"));
        Assert.Multiple(() =>
        {
            foreach (var file in files)
            {
                try { host.Compile(file); }
                catch (ScriptCompilationException e) { Assert.Fail($"{Path.GetFileName(file)}:\n{string.Join("\n", e.Errors)}"); }
            }
        });
    }
}
