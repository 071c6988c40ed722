using LddGan.Abstractions;
using LddGan.Engine.Diffusion;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Tests.Process;

public sealed class DiffusionGanProcessTests
{
    private static float[] Values(Tensor t) => t.cpu().to(ScalarType.Float32).contiguous().data<float>().ToArray();

    [Test]
    public void CoefficientTensorsAreFloat32CopiesOfTheTables()
    {
        using var process = new DiffusionGanProcess(new DiffusionOptions());
        var c = process.Coefficients;
        Assert.That(c.ACum.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(c.ACum.shape, Is.EqualTo(new long[] { 5 }));
        Assert.That(c.PosteriorCoef1.shape, Is.EqualTo(new long[] { 4 }));
        Assert.That(Values(c.ACum).Select(v => (double)v), Is.EqualTo(process.Tables.ACum));
        Assert.That(Values(c.Sigma).Select(v => (double)v), Is.EqualTo(process.Tables.Sigma));
        Assert.That(Values(c.PosteriorCoef2).Select(v => (double)v), Is.EqualTo(process.Tables.PosteriorCoef2));
        Assert.That(Values(c.PosteriorLogVarianceClipped).Select(v => (double)v), Is.EqualTo(process.Tables.PosteriorLogVarianceClipped));
    }

    [TestCase(4)]
    [TestCase(2)]
    public void PosteriorAtStepZero_IsTheDeterministicMeanCoef1TimesX0(int T)
    {
        using var scope = NewDisposeScope();
        using var process = new DiffusionGanProcess(new DiffusionOptions { NumTimesteps = T });
        using var rng = new Generator(7);
        var x0 = randn([6, 3, 4, 4], generator: rng);
        var xNext = randn([6, 3, 4, 4], generator: rng) * 5;
        var t = zeros([6], ScalarType.Int64);
        var xPos = process.SamplePosterior(x0, xNext, t, rng);

        // coef2[0] = 0 and the noise is masked: the result is coef1[0]·x0 bit for bit.
        float coef1 = (float)process.Tables.PosteriorCoef1[0];
        Assert.That(Values(xPos), Is.EqualTo(Values(x0).Select(v => v * coef1)));
        // coef1[0] is 1 mathematically; in float32 (official code) it is 1 or 1 + 2^-23 (T = 4), so x_0 is returned to within one ulp.
        Assert.That(coef1, Is.EqualTo(1f).Within(1.2e-7f));
        var diff = Values(xPos).Zip(Values(x0), (a, b) => Math.Abs(a - b) / Math.Max(Math.Abs(b), 1e-30f)).Max();
        Assert.That(diff, Is.LessThanOrEqualTo(2.4e-7), "within two float32 ulps");
        if (T == 2) Assert.That(Values(xPos), Is.EqualTo(Values(x0)));
    }

    [Test]
    public void PosteriorMasksNoisePerSample()
    {
        using var scope = NewDisposeScope();
        using var process = new DiffusionGanProcess(new DiffusionOptions());
        var x0 = zeros([4, 2]);
        var xNext = zeros([4, 2]);
        var t = tensor(new long[] { 0, 1, 0, 3 });
        using var rng = new Generator(3);
        var xPos = process.SamplePosterior(x0, xNext, t, rng);
        var v = Values(xPos);
        Assert.That(v[0..2], Is.All.EqualTo(0f), "t = 0 rows are noiseless");
        Assert.That(v[4..6], Is.All.EqualTo(0f), "t = 0 rows are noiseless");
        Assert.That(v[2..4], Is.All.Not.EqualTo(0f), "t = 1 rows carry noise");
        Assert.That(v[6..8], Is.All.Not.EqualTo(0f), "t = 3 rows carry noise");

        // With the same generator state the noise is reproduced: x_t = mean + exp(½ logvar[t])·ε.
        using var replay = new Generator(3);
        var eps = Values(randn([4, 2], generator: replay));
        double sd1 = Math.Exp(0.5 * process.Tables.PosteriorLogVarianceClipped[1]);
        double sd3 = Math.Exp(0.5 * process.Tables.PosteriorLogVarianceClipped[3]);
        Assert.That(v[2], Is.EqualTo(sd1 * eps[2]).Within(1e-6));
        Assert.That(v[7], Is.EqualTo(sd3 * eps[7]).Within(1e-6));
    }

    [Test]
    public void PosteriorMean_UsesCoef1AndCoef2()
    {
        using var scope = NewDisposeScope();
        using var process = new DiffusionGanProcess(new DiffusionOptions());
        // Many samples at t = 2: the empirical mean and variance match the analytic posterior.
        const int n = 20000;
        var x0 = full([n, 8], 0.5f);
        var xNext = full([n, 8], -0.25f);
        var t = full([n], 2L, ScalarType.Int64);
        using var rng = new Generator(11);
        var xPos = process.SamplePosterior(x0, xNext, t, rng);
        var tables = process.Tables;
        double mean = tables.PosteriorCoef1[2] * 0.5 + tables.PosteriorCoef2[2] * -0.25;
        Assert.That(xPos.mean().item<float>(), Is.EqualTo(mean).Within(0.01));
        Assert.That(xPos.var().item<float>(), Is.EqualTo(tables.PosteriorVariance[2]).Within(0.01));
    }

    [Test]
    public void SamplePairs_StatisticsMatchTheForwardProcess()
    {
        using var scope = NewDisposeScope();
        using var process = new DiffusionGanProcess(new DiffusionOptions());
        const int perStep = 2000;
        const float c = 0.8f;
        int T = process.NumTimesteps;
        var x0 = full([T * perStep, 1, 8, 8], c);
        var t = arange(T * perStep, ScalarType.Int64) % T;
        using var rng = new Generator(1234);
        var (xt, xNext) = process.SamplePairs(x0, t, rng);
        Assert.That(xt.shape, Is.EqualTo(x0.shape));
        Assert.That(xNext.shape, Is.EqualTo(x0.shape));
        var tables = process.Tables;
        for (int k = 0; k < T; k++)
        {
            var rows = nonzero(t.eq(k)).view(-1);
            var a = xt.index_select(0, rows);
            var b = xNext.index_select(0, rows);
            Assert.That(a.mean().item<float>(), Is.EqualTo(tables.ACum[k] * c).Within(0.01), $"mean x_t, t={k}");
            Assert.That(a.var().item<float>(), Is.EqualTo(tables.SigmaCum[k] * tables.SigmaCum[k]).Within(0.02), $"var x_t, t={k}");
            Assert.That(b.mean().item<float>(), Is.EqualTo(tables.ACum[k + 1] * c).Within(0.01), $"mean x_t+1, t={k}");
            Assert.That(b.var().item<float>(), Is.EqualTo(tables.SigmaCum[k + 1] * tables.SigmaCum[k + 1]).Within(0.02), $"var x_t+1, t={k}");
            // Fresh noise for the second step: cov(x_t, x_{t+1}) = a[t+1]·σ_cum[t]² (it would be larger with shared noise).
            double cov = ((a - a.mean()) * (b - b.mean())).mean().item<float>();
            Assert.That(cov, Is.EqualTo(tables.A[k + 1] * tables.SigmaCum[k] * tables.SigmaCum[k]).Within(0.02), $"cov, t={k}");
        }
        // At t = 0 the "real" sample is clean data, exactly (a_cum[0] = 1, σ_cum[0] = 0 in float32).
        var rows0 = nonzero(t.eq(0)).view(-1);
        Assert.That(xt.index_select(0, rows0).eq(c).all().item<bool>(), Is.True);
    }

    [Test]
    public void SamplePairs_WorksOnVectorsAndIsReproducibleFromTheGenerator()
    {
        using var scope = NewDisposeScope();
        using var process = new DiffusionGanProcess(new DiffusionOptions());
        var x0 = rand([64, 2]) * 2 - 1;
        var t = arange(64, ScalarType.Int64) % 4;
        using var g1 = new Generator(99);
        using var g2 = new Generator(99);
        using var g3 = new Generator(100);
        var (a1, b1) = process.SamplePairs(x0, t, g1);
        var (a2, b2) = process.SamplePairs(x0, t, g2);
        var (a3, _) = process.SamplePairs(x0, t, g3);
        Assert.That(a1.shape, Is.EqualTo(new long[] { 64, 2 }));
        Assert.That(TensorCompare.Same(a1, a2), Is.True);
        Assert.That(TensorCompare.Same(b1, b2), Is.True);
        Assert.That(TensorCompare.Same(a1, a3), Is.False);

        // The draw order is ε₂ (the step noise) then ε₁ (the marginal noise), as in the official q_sample_pairs.
        using var replay = new Generator(99);
        var eps2 = randn([64, 2], generator: replay);
        var eps1 = randn([64, 2], generator: replay);
        var acum = process.Coefficients.ACum.index_select(0, t).view(64, 1);
        var scum = process.Coefficients.SigmaCum.index_select(0, t).view(64, 1);
        var expectedXt = acum * x0 + scum * eps1;
        var expectedNext = process.Coefficients.A.index_select(0, t + 1).view(64, 1) * expectedXt
                         + process.Coefficients.Sigma.index_select(0, t + 1).view(64, 1) * eps2;
        Assert.That(a1.allclose(expectedXt, rtol: 0, atol: 1e-6), Is.True);
        Assert.That(b1.allclose(expectedNext, rtol: 0, atol: 1e-6), Is.True);
    }

    [Test]
    public void BadArgumentsAreRejected()
    {
        using var scope = NewDisposeScope();
        using var process = new DiffusionGanProcess(new DiffusionOptions());
        var x0 = zeros([4, 3, 2, 2]);
        Assert.Throws<ArgumentException>(() => process.SamplePairs(x0, zeros([3], ScalarType.Int64)));
        Assert.Throws<ArgumentException>(() => process.SamplePairs(x0, zeros([4], ScalarType.Float32)));
        Assert.Throws<ArgumentException>(() => process.SamplePosterior(x0, zeros([4, 3, 2, 1]), zeros([4], ScalarType.Int64)));
        Assert.Throws<ArgumentException>(() => new DiffusionGanProcess(new DiffusionOptions { UseGeometric = true }));
    }

    [Test]
    public void FactoryIsRegisteredAsVpAndBuildsFromOptions()
    {
        var attribute = typeof(VpDiffusionFactory).GetCustomAttributes(typeof(ComponentAttribute), false).Cast<ComponentAttribute>().Single();
        Assert.That(attribute.Kind, Is.EqualTo(ComponentKind.DiffusionProcess));
        Assert.That(attribute.Name, Is.EqualTo("vp"));
        IComponentFactory factory = new VpDiffusionFactory();
        var options = (DiffusionOptions)factory.CreateDefaultOptions() with { NumTimesteps = 2 };
        using var process = (DiffusionGanProcess)factory.Create(options, new ComponentContext(default, default, 2, CPU));
        Assert.That(process.NumTimesteps, Is.EqualTo(2));
    }
}
