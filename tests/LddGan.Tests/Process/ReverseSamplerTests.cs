using LddGan.Abstractions;
using LddGan.Engine.Diffusion;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Tests.Process;

public sealed class ReverseSamplerTests
{
    /// <summary>A stand-in generator: records every call and returns a chosen function of its inputs.</summary>
    private sealed class RecordingDenoiser(int noiseDim, Func<Tensor, Tensor, Tensor, Tensor> predict) : Denoiser("recording")
    {
        public List<(Tensor X, Tensor T, Tensor Z)> Calls { get; } = [];
        public override int NoiseDim => noiseDim;

        public override Tensor forward(Tensor x, Tensor t, Tensor z)
        {
            Calls.Add((x.clone().DetachFromDisposeScope(), t.clone().DetachFromDisposeScope(), z.clone().DetachFromDisposeScope()));
            return predict(x, t, z);
        }

        protected override void Dispose(bool disposing)
        {
            foreach (var (x, t, z) in Calls) { x.Dispose(); t.Dispose(); z.Dispose(); }
            base.Dispose(disposing);
        }
    }

    private static float[] Values(Tensor t) => t.cpu().contiguous().data<float>().ToArray();

    [Test]
    public void CallsTheDenoiserTTimesFromTMinus1DownToZero_WithFreshNoise()
    {
        using var process = new DiffusionGanProcess(new DiffusionOptions());
        using var g = new RecordingDenoiser(5, (x, t, z) => zeros_like(x));
        var sampler = new ReverseSampler(process);
        using var rng = new Generator(42);
        using var samples = sampler.Sample(g, new SampleShape(1, 4, 4), 3, CPU, rng);

        Assert.That(sampler.NumFunctionEvaluations, Is.EqualTo(4));
        Assert.That(g.Calls, Has.Count.EqualTo(4));
        for (int k = 0; k < 4; k++)
        {
            var (x, t, z) = g.Calls[k];
            Assert.That(x.shape, Is.EqualTo(new long[] { 3, 1, 4, 4 }));
            Assert.That(t.dtype, Is.EqualTo(ScalarType.Int64));
            Assert.That(t.data<long>().ToArray(), Is.EqualTo(new long[] { 3 - k, 3 - k, 3 - k }));
            Assert.That(z.shape, Is.EqualTo(new long[] { 3, 5 }));
        }
        for (int a = 0; a < 4; a++)
            for (int b = a + 1; b < 4; b++)
                Assert.That(TensorCompare.Same(g.Calls[a].Z, g.Calls[b].Z), Is.False, $"z of steps {a} and {b} must differ");
        // A generator that predicts x_0 = 0 ends at exactly 0: the last (t = 0) step returns coef1[0]·x_0.
        Assert.That(Values(samples), Is.All.EqualTo(0f));
        Assert.That(samples.requires_grad, Is.False);
    }

    [Test]
    public void ConstantPrediction_EndsAtThatConstant()
    {
        using var process = new DiffusionGanProcess(new DiffusionOptions { NumTimesteps = 2 });
        using var g = new RecordingDenoiser(3, (x, t, z) => full_like(x, 0.375f));
        using var samples = new ReverseSampler(process).Sample(g, SampleShape.Vector(2), 10, CPU, new Generator(1));
        Assert.That(samples.shape, Is.EqualTo(new long[] { 10, 2 }));
        Assert.That(Values(samples), Is.All.EqualTo(0.375f * (float)process.Tables.PosteriorCoef1[0]));
    }

    [Test]
    public void ChainMatchesTheAnalyticRecursionWithTheSameDraws()
    {
        // G(x, t, z) = 0.5·x + 0.1·t + mean(z): every quantity of the chain is then known from the generator's draws.
        using var process = new DiffusionGanProcess(new DiffusionOptions());
        const int n = 4, nz = 6;
        var shape = new SampleShape(2, 3, 3);
        Func<Tensor, Tensor, Tensor, Tensor> predict = (x, t, z) =>
            0.5f * x + 0.1f * t.to(ScalarType.Float32).view(-1, 1, 1, 1) + z.mean([1]).view(-1, 1, 1, 1);
        using var g = new RecordingDenoiser(nz, predict);
        using var samples = new ReverseSampler(process).Sample(g, shape, n, CPU, new Generator(2024));

        using var scope = NewDisposeScope();
        using var replay = new Generator(2024);
        var x = randn(shape.WithBatch(n), generator: replay);
        var tables = process.Tables;
        for (int i = 3; i >= 0; i--)
        {
            var z = randn([n, nz], generator: replay);
            var x0 = predict(x, full([n], i, ScalarType.Int64), z);
            var eps = randn(shape.WithBatch(n), generator: replay);
            Assert.That(g.Calls[3 - i].X.allclose(x, rtol: 0, atol: 1e-5), Is.True, $"input of step t={i}");
            Assert.That(TensorCompare.Same(g.Calls[3 - i].Z, z), Is.True, $"z of step t={i}");
            double sd = i == 0 ? 0 : Math.Exp(0.5 * tables.PosteriorLogVarianceClipped[i]);
            x = (float)tables.PosteriorCoef1[i] * x0 + (float)tables.PosteriorCoef2[i] * x + (float)sd * eps;
        }
        Assert.That(samples.allclose(x, rtol: 0, atol: 1e-5), Is.True);
    }

    [Test]
    public void SameSeedGivesIdenticalSamples_DifferentSeedDoesNot()
    {
        using var process = new DiffusionGanProcess(new DiffusionOptions());
        using var g = new RecordingDenoiser(4, (x, t, z) => tanh(x + z.sum([1]).view(-1, 1)));
        var sampler = new ReverseSampler(process);
        Tensor Draw(ulong seed)
        {
            using var rng = new Generator(seed);
            return sampler.Sample(g, SampleShape.Vector(2), 16, CPU, rng);
        }
        using var a = Draw(5);
        using var b = Draw(5);
        using var c = Draw(6);
        Assert.That(TensorCompare.Same(a, b), Is.True);
        Assert.That(TensorCompare.Same(a, c), Is.False);
    }

    [Test]
    public void RunLeavesTheGivenStartingPointAlone()
    {
        using var process = new DiffusionGanProcess(new DiffusionOptions());
        using var xT = ones([2, 2]);
        using var result = new ReverseSampler(process).Run((x, t, z) => zeros_like(x), 1, xT, new Generator(0));
        Assert.That(xT.IsInvalid, Is.False);
        Assert.That(Values(xT), Is.All.EqualTo(1f));
        Assert.That(Values(result), Is.All.EqualTo(0f));
    }

    [Test]
    public void DoesNotLeakTensorsIntoTheCallersScope()
    {
        using var process = new DiffusionGanProcess(new DiffusionOptions());
        using var scope = NewDisposeScope();
        var result = new ReverseSampler(process).Sample((x, t, z) => zeros_like(x), 2, SampleShape.Vector(3), 5, CPU, new Generator(9));
        Assert.That(scope.DisposablesCount, Is.EqualTo(1), "only the result is left in the caller's scope");
        Assert.That(scope.Contains(result), Is.True);
    }
}
