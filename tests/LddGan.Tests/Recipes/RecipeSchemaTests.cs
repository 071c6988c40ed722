using LddGan.Engine.Plugins;
using LddGan.Engine.Recipes;
using NUnit.Framework;

namespace LddGan.Tests.Recipes;

/// <summary>docs/recipes.md documents every option of every shipped component, and is in step with the code.</summary>
public sealed class RecipeSchemaTests
{
    private static string RepoFile(string relative)
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LddGan.Framework.sln"))) dir = dir.Parent;
        Assert.That(dir, Is.Not.Null, "repository root not found above the test directory");
        return Path.Combine(dir!.FullName, relative);
    }

    private static string Generated()
    {
        using var plugins = new PluginManager(PluginManager.DefaultFolders(), LddGan.Evaluation.BuiltInComponents.Assemblies);
        plugins.LoadAll();
        return RecipeSchema.Markdown(plugins.Catalog);
    }

    [Test]
    public void TheReferenceInDocsIsUpToDate()
    {
        string doc = File.ReadAllText(RepoFile("docs/recipes.md")).ReplaceLineEndings("\n");
        int at = doc.IndexOf(RecipeSchema.Marker, StringComparison.Ordinal);
        Assert.That(at, Is.GreaterThan(0), "docs/recipes.md has no generated reference");
        string inDoc = doc[(at + RecipeSchema.Marker.Length)..].Trim();
        Assert.That(inDoc, Is.EqualTo(Generated().ReplaceLineEndings("\n").Trim()),
                    "docs/recipes.md is out of date: run `lddgan schema --update docs/recipes.md`");
    }

    [Test]
    public void EveryOptionOfEveryComponentHasAMeaning()
    {
        var rows = Generated().Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToList();
        Assert.That(rows, Has.Count.GreaterThan(60));
        var undocumented = rows.Where(r => r.Split('|')[4].Trim().Length == 0).ToList();
        Assert.That(undocumented, Is.Empty, "options without an XML <summary>");
        Assert.That(rows, Has.Some.StartWith("| `nf` | integer | `128` |"), "NCSN++ from the DDGAN plugin is documented");
    }
}
