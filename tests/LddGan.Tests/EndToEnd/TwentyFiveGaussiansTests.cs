using LddGan.Engine.Components;
using LddGan.Engine.Data;
using LddGan.Engine.Models;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using NUnit.Framework;

namespace LddGan.Tests.EndToEnd;

/// <summary>
/// The DDGAN paper's mode-coverage toy, end to end through the recipe, the plugin's toy networks, the trainer and a
/// checkpoint: recipes/25-gaussians.toml (T = 8, 6,240 steps, about 5 minutes on one core).
/// <para>
/// The bar is the project's quality target: at least 24 of 25 modes and at least 80 % of the samples within 3σ of a mode. On
/// 2026-11-23 this test measured 25/25 and 86.9 %; `lddgan train` + `lddgan sample --n 2000 --seed 5` on the same recipe
/// gave 25/25 and 84.5 % (its samples come in other batches), and seeds 1 and 7 gave 87.3 % and 85.5 %. A uniform
/// spread over the grid puts about 7 % within 3σ, and a collapsed generator covers few modes, so the bar fails on both
/// blur and collapse. Another CPU may round differently; the margin over the seeds above allows for that.
/// </para>
/// </summary>
[Category("EndToEnd")]
public sealed class TwentyFiveGaussiansTests
{
    [Test, Category(TestTiers.Slow)]
    public void ShortCpuTrainingCoversTheModes()
    {
        var catalog = ComponentCatalog.WithBuiltIns(LddGan.Evaluation.BuiltInComponents.Assemblies);
        catalog.RegisterAssembly(typeof(LddGan.Plugins.Ddgan.NcsnppGenerator).Assembly, "ddgan plugin");
        string recipePath = Path.Combine(TestContext.CurrentContext.TestDirectory, "recipes", "25-gaussians.toml");
        var recipe = new RecipeLoader(catalog).LoadFile(recipePath);
        string runDir = Directory.CreateTempSubdirectory("lddgan-25g-").FullName;
        try
        {
            using (var session = new TrainingSession(recipe, catalog, [], new TrainingSessionOptions { RunDirectory = runDir },
                                                     new TextTrainingObserver(TestContext.Progress, printEvery: 1000)))
                session.Run();

            using var sampling = DiffusionModel.Load(runDir, catalog);
            using var samples = sampling.Sample(2000, seed: 5, batchSize: 2000);
            using var dataset = new TwentyFiveGaussiansDataset((TwentyFiveGaussiansOptions)recipe.Data.Options);
            var report = dataset.Evaluate(samples);
            TestContext.Progress.WriteLine($"25-Gaussians after {sampling.Meta.GlobalStep} steps (EMA): {report}");
            Assert.Multiple(() =>
            {
                Assert.That(report.NonFiniteCount, Is.Zero);
                Assert.That(report.ModesCovered, Is.GreaterThanOrEqualTo(24), report.ToString());
                Assert.That(report.HighQualityFraction, Is.GreaterThanOrEqualTo(0.80), report.ToString());
            });
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }
}
