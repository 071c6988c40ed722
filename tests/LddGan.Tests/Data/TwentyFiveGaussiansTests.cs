using LddGan.Abstractions;
using LddGan.Engine.Data;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Data;

public sealed class TwentyFiveGaussiansTests
{
    [Test]
    public void ModesAreTheScaledGrid()
    {
        var modes = TwentyFiveGaussiansDataset.ModeCenters(0.5);
        Assert.That(modes, Has.Count.EqualTo(25));
        var xs = modes.Select(m => m.X).Distinct().OrderBy(v => v);
        Assert.That(xs, Is.EqualTo(new[] { -1.0, -0.5, 0.0, 0.5, 1.0 }));
        Assert.That(modes.Distinct().Count(), Is.EqualTo(25));
        Assert.That(modes[0], Is.EqualTo((-1.0, -1.0)));
        Assert.That(modes[7], Is.EqualTo((-0.5, 0.0)));
    }

    [Test]
    public void PointsFollowTheirModesWithTheScaledStd()
    {
        using var data = new TwentyFiveGaussiansDataset(new TwentyFiveGaussiansOptions { Count = 25000, Seed = 3 });
        Assert.That(data.Shape, Is.EqualTo(SampleShape.Vector(2)));
        Assert.That(data.ModelStd, Is.EqualTo(0.025).Within(1e-12));
        using var scope = NewDisposeScope();
        var all = data.GetBatch(Enumerable.Range(0, 25000).Select(i => (long)i).ToArray());
        Assert.That(all.shape, Is.EqualTo(new long[] { 25000, 2 }));
        var centres = tensor(Enumerable.Range(0, 25000).SelectMany(i =>
        {
            var m = data.Modes[TwentyFiveGaussiansDataset.ModeOf(i)];
            return new[] { (float)m.X, (float)m.Y };
        }).ToArray(), [25000, 2]);
        var residual = all - centres;
        Assert.That(residual.mean().item<float>(), Is.EqualTo(0).Within(0.001));
        Assert.That(residual.std().item<float>(), Is.EqualTo(0.025).Within(0.0005));
        Assert.That(all.abs().max().item<float>(), Is.LessThan(1.2f));

        var report = data.Evaluate(all);
        Assert.That(report.ModesCovered, Is.EqualTo(25));
        Assert.That(report.NearestCounts, Is.All.EqualTo(1000));
        // Within 3σ in 2-D: 1 − exp(−4.5) ≈ 98.9 %.
        Assert.That(report.HighQualityFraction, Is.EqualTo(1 - Math.Exp(-4.5)).Within(0.003));
    }

    [Test]
    public void SameSeedSamePoints_OtherSeedOtherPoints()
    {
        var options = new TwentyFiveGaussiansOptions { Count = 100, Seed = 17 };
        using var a = new TwentyFiveGaussiansDataset(options);
        using var b = new TwentyFiveGaussiansDataset(options);
        using var c = new TwentyFiveGaussiansDataset(options with { Seed = 18 });
        long[] idx = [0, 42, 99];
        using var pa = a.GetBatch(idx);
        using var pb = b.GetBatch(idx);
        using var pc = c.GetBatch(idx);
        Assert.That(pa.eq(pb).all().item<bool>(), Is.True);
        Assert.That(pa.eq(pc).all().item<bool>(), Is.False);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.GetBatch([100]));
    }

    [Test]
    public void InvalidOptionsNameTheirKeys()
    {
        var errors = new TwentyFiveGaussiansOptions { Count = 3, Std = 0, Scale = double.NaN, Seed = -1 }.Validate().ToList();
        Assert.That(errors.Select(e => e.Split(' ')[0]), Is.EqualTo(new[] { "count", "std", "scale", "seed" }));
        Assert.That(new TwentyFiveGaussiansOptions { Scale = 4.5 }.Validate().Single(), Does.StartWith("scale must be in (0, 4]"));
    }

    [Test]
    public void TheStandardGeometryLiesOutsideTheImageRangeAndPixelSpaceKeepsIt()
    {
        // Scale 2 is the benchmark's usual grid {−4, −2, 0, 2, 4}²: vector data must come back from decoding unclamped.
        using var dataset = new TwentyFiveGaussiansDataset(new TwentyFiveGaussiansOptions { Count = 250, Scale = 2.0 });
        using var points = dataset.GetBatch(Enumerable.Range(0, 250).Select(i => (long)i).ToArray());
        var pixels = new LddGan.Engine.Latent.PixelSpace();
        using var decoded = pixels.Decode(points);
        Assert.That(points.abs().max().item<float>(), Is.GreaterThan(3.5f));
        Assert.That(decoded.eq(points).all().item<bool>(), Is.True);
        Assert.That(dataset.Evaluate(decoded).ModesCovered, Is.EqualTo(25));
        Assert.That(dataset.ModelStd, Is.EqualTo(0.1).Within(1e-12));
        using var images = TorchSharp.torch.randn(2, 1, 4, 4) * 5;
        using var decodedImages = pixels.Decode(images);
        Assert.That(decodedImages.abs().max().item<float>(), Is.LessThanOrEqualTo(1f), "images are still clamped");
    }
}

public sealed class ModeCoverageTests
{
    private static readonly IReadOnlyList<(double X, double Y)> Modes = TwentyFiveGaussiansDataset.ModeCenters(0.5);
    private const double Sigma = 0.025;

    [Test]
    public void PointsExactlyOnEveryModeCoverAll()
    {
        var xy = Modes.SelectMany(m => new[] { m.X, m.Y }).ToArray();
        var report = ModeCoverage.Evaluate(xy, Modes, Sigma);
        Assert.That(report.ModesCovered, Is.EqualTo(25));
        Assert.That(report.HighQualityFraction, Is.EqualTo(1.0));
        Assert.That(report.HighQualityCounts, Is.All.EqualTo(1));
    }

    [Test]
    public void CollapsedGeneratorCoversOneMode()
    {
        // 100 points at (0.5 + 0.01, −0.5): all near mode (x = 0.5, y = −0.5) = index 3·5 + 1 = 16.
        using var points = full([100, 2], 0f);
        points[.., 0] = 0.51f;
        points[.., 1] = -0.5f;
        var report = ModeCoverage.Evaluate(points, Modes, Sigma);
        Assert.That(report.ModesCovered, Is.EqualTo(1));
        Assert.That(report.NearestCounts[16], Is.EqualTo(100));
        Assert.That(report.HighQualityCounts[16], Is.EqualTo(100));
        Assert.That(report.HighQualityFraction, Is.EqualTo(1.0));
        Assert.That(report.ToString(), Does.StartWith("1/25 modes covered"));
    }

    [Test]
    public void PointsBetweenModesAreLowQualityAndDoNotCover()
    {
        // Halfway between two modes (0.25 from each = 10σ) and just outside 3σ: assigned, but not high quality.
        var xy = new[] { 0.25, 0.0, 0.0 + 3.2 * Sigma, 0.0, 0.0 + 2.9 * Sigma, 0.0, double.NaN, 0.0 };
        var report = ModeCoverage.Evaluate(xy, Modes, Sigma);
        Assert.That(report.SampleCount, Is.EqualTo(4));
        Assert.That(report.NonFiniteCount, Is.EqualTo(1));
        Assert.That(report.ModesCovered, Is.EqualTo(1), "only the 2.9σ point counts");
        Assert.That(report.HighQualityFraction, Is.EqualTo(0.25));
        Assert.That(report.NearestCounts.Sum(), Is.EqualTo(3));
        Assert.That(report.HighQualityCounts[12], Is.EqualTo(1), "mode 12 is the origin");
    }

    [Test]
    public void ThresholdOfSamplesPerModeIsApplied()
    {
        var xy = new List<double>();
        for (int i = 0; i < 5; i++) xy.AddRange([Modes[0].X, Modes[0].Y]);
        xy.AddRange([Modes[1].X, Modes[1].Y]);
        Assert.That(ModeCoverage.Evaluate(xy.ToArray(), Modes, Sigma).ModesCovered, Is.EqualTo(2));
        Assert.That(ModeCoverage.Evaluate(xy.ToArray(), Modes, Sigma, minSamplesPerMode: 3).ModesCovered, Is.EqualTo(1));
    }
}
