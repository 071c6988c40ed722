using LddGan.Engine.Components;
using LddGan.Engine.Data;
using LddGan.Engine.Recipes;
using LddGan.Engine.Sessions;
using NUnit.Framework;

namespace LddGan.Tests.EndToEnd;

/// <summary>
/// The DDGAN paper's mode-coverage toy, end to end through the recipe, the plugin's toy networks, the trainer and a
/// checkpoint: recipes/25-gaussians.toml (about 1,560 steps, ~80 s on one core).
/// <para>
/// The bar (≥ 22 modes, ≥ 15 %) is a regression bar under what this short run measured on 2026-11-23: 25/25 modes, 22.2 % within 3σ
/// (scale 2, σ 0.1). A uniform spread over the grid puts about 7 % within 3σ, and an untrained generator puts
/// everything on one mode, so the bar fails on both blur and collapse. It is NOT the target (≥ 24/25 modes
/// and ≥ 80 % within 3σ), which this run does not reach (docs/quality-experiments.md). The run is bit-deterministic
/// on CPU with one thread, so the bar is stable. (An earlier recipe at scale 0.5 seemed to reach 26.2 %, but only
/// because decoding clamped stray samples onto the square's edge, where the outer modes lie. Unclamped, it gives
/// 21/25 and 7.1 %.)
/// </para>
/// </summary>
[Category("EndToEnd")]
public sealed class TwentyFiveGaussiansTests
{
    [Test]
    public void ShortCpuTrainingCoversTheModes()
    {
        var catalog = ComponentCatalog.WithBuiltIns();
        catalog.RegisterAssembly(typeof(LddGan.Plugins.Ddgan.NcsnppGenerator).Assembly, "ddgan plugin");
        string recipePath = Path.Combine(TestContext.CurrentContext.TestDirectory, "recipes", "25-gaussians.toml");
        var recipe = new RecipeLoader(catalog).LoadFile(recipePath);
        string runDir = Directory.CreateTempSubdirectory("lddgan-25g-").FullName;
        try
        {
            using (var session = new TrainingSession(recipe, catalog, [], new TrainingSessionOptions { RunDirectory = runDir },
                                                     new TextTrainingObserver(TestContext.Progress, printEvery: 500)))
                session.Run();

            using var sampling = new SamplingSession(runDir, catalog);
            using var samples = sampling.Generate(2000, seed: 5, batchSize: 2000);
            using var dataset = new TwentyFiveGaussiansDataset((TwentyFiveGaussiansOptions)recipe.Data.Options);
            var report = dataset.Evaluate(samples);
            TestContext.Progress.WriteLine($"25-Gaussians after {sampling.Meta.GlobalStep} steps (EMA): {report}");
            Assert.Multiple(() =>
            {
                Assert.That(report.NonFiniteCount, Is.Zero);
                Assert.That(report.ModesCovered, Is.GreaterThanOrEqualTo(22), report.ToString());
                Assert.That(report.HighQualityFraction, Is.GreaterThanOrEqualTo(0.15), report.ToString());
            });
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }
}
