using LddGan.Engine.Recipes;
using LddGan.Engine.Training;
using LddGan.Tests.Support;
using NUnit.Framework;
using LddGan.Engine.Runtime;

namespace LddGan.Tests.Recipes;

public sealed class RecipeLoaderTests
{
    private static Recipe Parse(string text) => new RecipeLoader(TestCatalog.Create()).Parse(text, "r.toml");

    private static RecipeException Fails(string text) => Assert.Throws<RecipeException>(() => Parse(text))!;

    [Test]
    public void ValidRecipeBindsOptionsAndKeepsDefaults()
    {
        var recipe = Parse(TestCatalog.TinyRecipe);
        Assert.Multiple(() =>
        {
            Assert.That(recipe.Name, Is.EqualTo("tiny"));
            Assert.That(recipe.Seed, Is.EqualTo(7));
            Assert.That(recipe.Train.BatchSize, Is.EqualTo(8));
            Assert.That(recipe.Train.Beta1, Is.EqualTo(0.5), "default kept");
            Assert.That(recipe.Latent.Type, Is.EqualTo("pixel"), "default latent space");
            Assert.That(recipe.Loss!.Type, Is.EqualTo("adversarial"), "default loss schedule");
            Assert.That(((BlobOptions)recipe.Data.Options).Count, Is.EqualTo(64));
        });
    }

    [Test]
    public void RuntimeSectionDefaultsToTf32AndAutotuningAndRoundTrips()
    {
        Assert.That(Parse(TestCatalog.TinyRecipe).Runtime, Is.EqualTo(new RuntimeOptions { Tf32 = true, CudnnBenchmark = true }));
        var strict = Parse(TestCatalog.TinyRecipe + "\n[runtime]\ntf32 = false\ncudnn_benchmark = false\n");
        Assert.That(strict.Runtime, Is.EqualTo(new RuntimeOptions { Tf32 = false, CudnnBenchmark = false }));
        Assert.That(Parse(strict.ToToml()).Runtime, Is.EqualTo(strict.Runtime));
        Assert.That(Fails(TestCatalog.TinyRecipe + "\n[runtime]\ntf33 = false\n").Message, Does.Contain("tf33").And.Contain("tf32"));
    }

    [Test]
    public void ResolvedRecipeRoundTripsExactly()
    {
        var recipe = Parse(TestCatalog.TinyRecipe);
        string resolved = recipe.ToToml("header");
        string again = Parse(resolved).ToToml("header");
        Assert.That(again, Is.EqualTo(resolved));
        Assert.That(resolved, Does.Contain("lr_min = 1e-05").Or.Contain("lr_min = 1E-05").Or.Contain("lr_min = 1e-5"));
    }

    [Test]
    public void UnknownKeyIsLocatedWithSuggestion()
    {
        var e = Fails(TestCatalog.TinyRecipe.Replace("lazy_reg = 2", "lazy_regg = 2"));
        Assert.That(e.Message, Does.Match(@"r\.toml\(\d+,1\): error: \[train\] unknown key 'lazy_regg'\. Did you mean 'lazy_reg'\?"));
    }

    [Test]
    public void WrongTypeNamesKeyAndPosition()
    {
        var e = Fails(TestCatalog.TinyRecipe.Replace("batch_size = 8", "batch_size = \"eight\""));
        Assert.That(e.Message, Does.Contain("'batch_size' must be an integer, not the string \"eight\""));
        Assert.That(e.Message, Does.Match(@"r\.toml\(\d+,1\)"));
    }

    [Test]
    public void OutOfRangeValueIsRejected()
    {
        var e = Fails(TestCatalog.TinyRecipe.Replace("batch_size = 8", "batch_size = 0"));
        Assert.That(e.Message, Does.Contain("batch_size must be at least 1"));
    }

    [Test]
    public void UnknownComponentSuggestsNearestName()
    {
        var e = Fails(TestCatalog.TinyRecipe.Replace("type = \"test-blobs\"", "type = \"test-blob\""));
        Assert.That(e.Message, Does.Contain("unknown Dataset component \"test-blob\". Did you mean 'test-blobs'?"));
    }

    [Test]
    public void SyntaxErrorIsLocated()
    {
        var e = Fails("name = \n");
        Assert.That(e.Message, Does.Contain("r.toml(1,"));
    }

    [Test]
    public void UnknownSectionAndMissingGeneratorAreBothReported()
    {
        var text = TestCatalog.TinyRecipe.Replace("[generator]\ntype = \"test-tiny\"", "[generatr]\ntype = \"test-tiny\"");
        var e = Fails(text);
        Assert.Multiple(() =>
        {
            Assert.That(e.Errors.Any(m => m.Contains("unknown section [generatr]") && m.Contains("Did you mean 'generator'?")), e.Message);
            Assert.That(e.Errors.Any(m => m.Contains("missing section [generator]")), e.Message);
        });
    }

    [Test]
    public void EnumOptionsAcceptSnakeCaseNames()
    {
        var recipe = Parse(TestCatalog.TinyRecipe + "\nlr_schedule = \"constant\"\n");
        Assert.That(recipe.Train.LrSchedule, Is.EqualTo(LrSchedule.Constant));
    }
}
