using System.Globalization;
using LddGan.Engine.Diffusion;
using NUnit.Framework;

namespace LddGan.Tests.Process;

/// <summary>Coefficient tables against reference-models §1.7 (PyTorch float32 values of the official code).</summary>
public sealed class DiffusionTablesTests
{
    // Expected values as printed in the reference; each is checked to within one unit of its last printed digit
    // (and 1e-6 relative), so a value that is off in its printed digits fails.
    private static void AssertTable(IReadOnlyList<double> actual, params string[] expected)
    {
        Assert.That(actual, Has.Count.EqualTo(expected.Length));
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.Parse(expected[i], CultureInfo.InvariantCulture);
            int dot = expected[i].IndexOf('.');
            int decimals = expected[i].Contains('e') || dot < 0 ? 0 : expected[i].Length - dot - 1;
            double tolerance = expected[i].Contains('e') ? Math.Abs(e) * 1e-6 : Math.Max(Math.Pow(10, -decimals), Math.Abs(e) * 1e-6);
            Assert.That(actual[i], Is.EqualTo(e).Within(tolerance), $"index {i}: expected {expected[i]}");
        }
    }

    [Test]
    public void T4_TablesMatchTheReference()
    {
        var tables = DiffusionTables.Compute(new DiffusionOptions());
        Assert.That(tables.NumTimesteps, Is.EqualTo(4));
        AssertTable(tables.TimeGrid, "0.001", "0.25075", "0.5005", "0.75025", "1.0");
        AssertTable(tables.Betas, "1e-8", "0.4782553", "0.8492060", "0.9564177", "0.9874039");
        AssertTable(tables.A, "1", "0.722319", "0.388322", "0.2087638", "0.1122322");
        AssertTable(tables.Sigma, "1e-4", "0.69156", "0.921524", "0.977966", "0.993682");
        AssertTable(tables.ACum, "1", "0.722319", "0.2804924", "0.0585567", "0.0065719");
        AssertTable(tables.SigmaCum, "0", "0.69156", "0.959856", "0.998284", "0.999978");
        AssertTable(tables.PosteriorCoef1, "1.0", "0.6657785", "0.2691909", "0.0578216");
        AssertTable(tables.PosteriorCoef2, "0", "0.2015763", "0.1930009", "0.1118522");
        AssertTable(tables.PosteriorVariance, "0", "0.4408191", "0.8842024", "0.9840608");
        Assert.That(tables.PosteriorLogVarianceClipped[0], Is.EqualTo(-46.0517).Within(1e-4));
        for (int k = 1; k < 4; k++)
            Assert.That(tables.PosteriorLogVarianceClipped[k], Is.EqualTo(Math.Log(tables.PosteriorVariance[k])).Within(1e-6));
    }

    [Test]
    public void T2_TablesMatchTheReference()
    {
        var tables = DiffusionTables.Compute(new DiffusionOptions { NumTimesteps = 2 });
        AssertTable(tables.Betas, "1e-8", "0.921324", "0.999451");
        AssertTable(tables.ACum, "1", "0.2804924", "0.0065719");
        AssertTable(tables.PosteriorCoef1, "1", "0.2803505");
        AssertTable(tables.PosteriorCoef2, "0", "0.0215874");
        AssertTable(tables.PosteriorVariance, "0", "0.9208581");
    }

    [Test]
    public void Float32Semantics_FirstStateIsExactlyClean()
    {
        // a_cum[0] = sqrt(1 − 1e-8) rounds to 1 in float32, hence σ_cum[0] = 0 exactly and the posterior at k = 0 has no noise.
        var tables = DiffusionTables.Compute(new DiffusionOptions());
        Assert.That(tables.ACum[0], Is.EqualTo(1.0));
        Assert.That(tables.SigmaCum[0], Is.EqualTo(0.0));
        Assert.That(tables.PosteriorCoef2[0], Is.EqualTo(0.0));
        Assert.That(tables.PosteriorVariance[0], Is.EqualTo(0.0));
        Assert.That(tables.Betas[0], Is.EqualTo((double)1e-8f));
        // Values are float32: widening then narrowing is the identity.
        foreach (var v in tables.PosteriorCoef1.Concat(tables.ACum).Concat(tables.Sigma))
            Assert.That((double)(float)v, Is.EqualTo(v));
        // The float64 betas are kept before the cast and differ from the float32 ones only by rounding.
        for (int i = 1; i <= 4; i++)
            Assert.That(tables.Betas[i], Is.EqualTo(tables.BetasFloat64[i]).Within(1e-7));
    }

    [Test]
    public void LongSchedule_HasMonotoneCumulativeSignal()
    {
        var tables = DiffusionTables.Compute(new DiffusionOptions { NumTimesteps = 1000 });
        Assert.That(tables.Betas.Skip(1), Is.All.GreaterThan(0.0).And.All.LessThan(1.0));
        Assert.That(tables.ACum, Is.Ordered.Descending);
        // The discrete chain reproduces the continuous marginal at τ = 1: ᾱ(1) = exp(−0.5·19.9 − 0.1).
        Assert.That(tables.ACum[^1] * tables.ACum[^1], Is.EqualTo(Math.Exp(-0.5 * 19.9 - 0.1) / Math.Exp(-0.5 * 1e-6 * 19.9 - 1e-4)).Within(0.1).Percent);
    }

    [Test]
    public void GeometricWithDefaults_IsRejectedBecauseBetasLeaveTheUnitInterval()
    {
        var options = new DiffusionOptions { UseGeometric = true };
        var errors = options.Validate().ToList();
        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Does.Contain("use_geometric").And.Contain("outside (0, 1)"));
        Assert.That(errors[0], Does.Not.Contain("num_timesteps"), "the message is attributed to use_geometric, not another key");
        // The reference's verified geometric betas for T = 4 (β_2 = 1.67 is the first out of range).
        var betas = DiffusionTables.DiscreteBetas(options);
        Assert.That(betas[1], Is.EqualTo(0.308).Within(1e-3));
        Assert.That(betas[2], Is.EqualTo(1.67).Within(1e-2));
        Assert.That(betas[3], Is.EqualTo(-9.35).Within(1e-2));
        Assert.Throws<ArgumentException>(() => DiffusionTables.Compute(options));
        // A geometric schedule whose variance stays below 1 is accepted.
        Assert.That(new DiffusionOptions { UseGeometric = true, BetaMin = 0.01, BetaMax = 0.9 }.Validate(), Is.Empty);
    }

    [TestCase(0, 0.1, 20.0, "num_timesteps")]
    [TestCase(1001, 0.1, 20.0, "num_timesteps")]
    [TestCase(4, 0.0, 20.0, "beta_min")]
    [TestCase(4, double.NaN, 20.0, "beta_min")]
    [TestCase(4, 0.1, 0.1, "beta_max")]
    [TestCase(4, 0.1, double.PositiveInfinity, "beta_max")]
    public void InvalidOptions_NameTheKey(int T, double betaMin, double betaMax, string key)
    {
        var errors = new DiffusionOptions { NumTimesteps = T, BetaMin = betaMin, BetaMax = betaMax }.Validate().ToList();
        Assert.That(errors, Is.Not.Empty);
        Assert.That(errors[0], Does.StartWith(key));
    }

    [Test]
    public void DefaultsAndEdgeValuesAreValid()
    {
        Assert.That(new DiffusionOptions().Validate(), Is.Empty);
        Assert.That(new DiffusionOptions { NumTimesteps = 1 }.Validate(), Is.Empty);
        Assert.That(new DiffusionOptions { NumTimesteps = 1000 }.Validate(), Is.Empty);
    }
}
