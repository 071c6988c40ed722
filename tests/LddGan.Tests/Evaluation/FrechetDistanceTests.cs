using LddGan.Evaluation;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Evaluation;

/// <summary>Feature statistics and the Fréchet distance against closed forms.</summary>
public sealed class FrechetDistanceTests
{
    private static Tensor Matrix(double[,] values) => tensor(values, ScalarType.Float64);
    private static Tensor Vector(params double[] values) => tensor(values, ScalarType.Float64);

    [Test]
    public void StatisticsAreTheMeanAndTheUnbiasedCovarianceLikeNumpyCov()
    {
        using var scope = NewDisposeScope();
        // Three 2-d points; by hand: mean (2, 3); deviations (-1,-2), (0,0), (1,2): cov = [[1, 2], [2, 4]] (sum / (n − 1) = / 2).
        using var stats = FeatureStatistics.FromFeatures(tensor(new float[,] { { 1, 1 }, { 2, 3 }, { 3, 5 } }));
        Assert.That(stats.Mean.data<double>().ToArray(), Is.EqualTo(new[] { 2.0, 3.0 }));
        Assert.That(stats.Covariance.data<double>().ToArray(), Is.EqualTo(new[] { 1.0, 2.0, 2.0, 4.0 }));
        Assert.That(stats.Covariance.dtype, Is.EqualTo(ScalarType.Float64));
        Assert.That(stats.Count, Is.EqualTo(3));
        Assert.Throws<ArgumentException>(() => FeatureStatistics.FromFeatures(ones(1, 4)));
    }

    [Test]
    public void DiagonalCovariancesGiveTheSumOfSquaredRootDifferences()
    {
        using var scope = NewDisposeScope();
        double[] s1 = [0.5, 2.0, 3.0, 7.0], s2 = [1.5, 0.25, 3.0, 1.0];
        var mu1 = Vector(1, 2, 3, 4);
        var mu2 = Vector(0, 2, 5, 4);
        double expected = 1 + 0 + 4 + 0 + s1.Zip(s2, (a, b) => a + b - 2 * Math.Sqrt(a * b)).Sum();
        double fid = FrechetDistance.Compute(mu1, diag(Vector(s1)), mu2, diag(Vector(s2)));
        Assert.That(fid, Is.EqualTo(expected).Within(1e-10));
    }

    [Test]
    public void IdenticalDistributionsAreAtDistanceZero()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var stats = FeatureStatistics.FromFeatures(randn(500, 16, dtype: ScalarType.Float64) * 3 + 1);
        Assert.That(Math.Abs(FrechetDistance.Compute(stats, stats)), Is.LessThan(1e-8));
    }

    [Test]
    public void AShiftedMeanAloneGivesTheSquaredShift()
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        var features = randn(300, 8, dtype: ScalarType.Float64);
        var shift = Vector(1, -2, 0.5, 0, 0, 3, 0, -1);
        using var a = FeatureStatistics.FromFeatures(features);
        using var b = FeatureStatistics.FromFeatures(features + shift);
        Assert.That(FrechetDistance.Compute(a, b), Is.EqualTo(shift.square().sum().item<double>()).Within(1e-8));
    }

    [Test]
    public void ARotatedCovarianceMatchesTheTwoByTwoClosedForm()
    {
        using var scope = NewDisposeScope();
        // Σ₁ = diag(a, b), Σ₂ = R(θ) diag(c, d) R(θ)ᵀ. Σ₁Σ₂ has eigenvalues λ₁, λ₂ ≥ 0, so
        // Tr((Σ₁Σ₂)^½) = √λ₁ + √λ₂ = √(tr(Σ₁Σ₂) + 2 √det(Σ₁Σ₂)), and det(Σ₁Σ₂) = abcd.
        double a = 2, b = 0.5, c = 3, d = 1, theta = Math.PI / 6;
        double cos = Math.Cos(theta), sin = Math.Sin(theta);
        var rotation = Matrix(new[,] { { cos, -sin }, { sin, cos } });
        var s1 = diag(Vector(a, b));
        var s2 = rotation.matmul(diag(Vector(c, d))).matmul(rotation.t());
        double traceProduct = s1.matmul(s2).trace().item<double>();
        double expected = (a + b) + (c + d) - 2 * Math.Sqrt(traceProduct + 2 * Math.Sqrt(a * b * c * d));
        var zero = zeros(2, dtype: ScalarType.Float64);
        Assert.That(FrechetDistance.Compute(zero, s1, zero, s2), Is.EqualTo(expected).Within(1e-10));

        // A quarter turn swaps the axes: diag(a, b) against diag(b, a) gives 2 (√a − √b)².
        var quarter = Matrix(new double[,] { { 0, -1 }, { 1, 0 } });
        var swapped = quarter.matmul(s1).matmul(quarter.t());
        Assert.That(FrechetDistance.Compute(zero, s1, zero, swapped), Is.EqualTo(2 * Math.Pow(Math.Sqrt(a) - Math.Sqrt(b), 2)).Within(1e-10));
    }

    [Test]
    public void TheTraceTermAgreesWithTheEigenvaluesOfTheUnsymmetricProduct()
    {
        using var scope = NewDisposeScope();
        manual_seed(14);
        // Independent route: Σ₁Σ₂ is not symmetric, but its eigenvalues are real and ≥ 0; Tr((Σ₁Σ₂)^½) = Σ √λᵢ.
        var a = randn(8, 8, dtype: ScalarType.Float64);
        var b = randn(8, 8, dtype: ScalarType.Float64);
        var s1 = a.matmul(a.t()) + 0.1 * eye(8, dtype: ScalarType.Float64);
        var s2 = b.matmul(b.t()) + 0.1 * eye(8, dtype: ScalarType.Float64);
        double viaGeneralEig = linalg.eigvals(s1.matmul(s2)).real.clamp_min(0).sqrt().sum().item<double>();
        Assert.That(FrechetDistance.TraceSqrtProduct(s1, s2), Is.EqualTo(viaGeneralEig).Within(1e-9 * viaGeneralEig));
    }

    [Test]
    public void SingularCovariancesFromFewerSamplesThanDimensionsStayFinite()
    {
        using var scope = NewDisposeScope();
        manual_seed(13);
        // 10 samples in 64 dimensions: both covariances have rank ≤ 9.
        using var a = FeatureStatistics.FromFeatures(randn(10, 64));
        using var b = FeatureStatistics.FromFeatures(randn(10, 64) + 0.5);
        var (fid, usedEpsilon) = FrechetDistance.ComputeDetailed(a.Mean, a.Covariance, b.Mean, b.Covariance);
        Assert.That(double.IsFinite(fid), Is.True);
        Assert.That(fid, Is.GreaterThan(0));
        Assert.That(usedEpsilon, Is.False, "the eigen-decomposition needs no ε·I for PSD input");
        Assert.That(Math.Abs(FrechetDistance.Compute(a, a)), Is.LessThan(1e-8));
    }

    [Test]
    public void NonFiniteStatisticsAreAClearError()
    {
        using var scope = NewDisposeScope();
        var mean = Vector(double.NaN, 0);
        var e = Assert.Throws<EvaluationException>(() => FrechetDistance.Compute(mean, eye(2, dtype: ScalarType.Float64), zeros(2, dtype: ScalarType.Float64), eye(2, dtype: ScalarType.Float64)));
        Assert.That(e!.Message, Does.Contain("NaN"));
    }
}
