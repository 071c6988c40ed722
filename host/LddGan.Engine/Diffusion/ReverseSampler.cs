using LddGan.Abstractions;
using static TorchSharp.torch;
using LddGan.Engine.Runtime;

namespace LddGan.Engine.Diffusion;

/// <summary>
/// The reverse chain of DDGAN (official <c>sample_from_model</c>): x_T ~ N(0, I); for i = T−1 … 0:
/// t = i for every sample, z ~ N(0, I) of shape (n, nz) fresh at each step, x_0 = G(x, t, z), x = sample_posterior(x_0, x, t).
/// The result is the last x (the generator's final x_0 prediction, since the t = 0 step is deterministic).
/// Uses T generator evaluations (<see cref="NumFunctionEvaluations"/>). Runs without gradients and does not change
/// the generator's train/eval mode.
/// </summary>
public sealed class ReverseSampler(IDiffusionProcess process)
{
    private readonly IDiffusionProcess _process = process ?? throw new ArgumentNullException(nameof(process));

    /// <summary>Number of generator calls per sample: T.</summary>
    public int NumFunctionEvaluations => _process.NumTimesteps;

    /// <summary>Draws x_T of shape (<paramref name="count"/>, ...<paramref name="latentShape"/>) and runs the chain.</summary>
    /// <remarks>A class-conditional generator needs <paramref name="classLabels"/> (int64, one per sample).</remarks>
    public Tensor Sample(Denoiser generator, SampleShape latentShape, long count, Device device, Generator? rng = null, Tensor? classLabels = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (classLabels is null)
            return Sample((x, t, z) => generator.call(x, t, z), generator.NoiseDim, latentShape, count, device, rng);
        using var labels = classLabels.to(device);
        return Sample((x, t, z) => generator.forward(x, t, z, labels), generator.NoiseDim, latentShape, count, device, rng);
    }

    /// <summary>As <see cref="Sample(Denoiser, SampleShape, long, Device, Generator?, Tensor?)"/>, for any G(x_{t+1}, t, z) → x_0.</summary>
    public Tensor Sample(Func<Tensor, Tensor, Tensor, Tensor> generator, int noiseDim, SampleShape latentShape, long count,
                         Device device, Generator? rng = null)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "the number of samples must be at least 1.");
        using var scope = NewDisposeScope();
        using var xT = GeneratorNoise.Normal(latentShape.WithBatch(count), ScalarType.Float32, device, rng);
        return Run(generator, noiseDim, xT, rng).MoveToOuterDisposeScope();
    }

    /// <summary>Runs the chain from a given x_T (not modified, not disposed).</summary>
    public Tensor Run(Denoiser generator, Tensor xT, Generator? rng = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return Run((x, t, z) => generator.call(x, t, z), generator.NoiseDim, xT, rng);
    }

    /// <summary>Runs the chain from a given x_T (not modified, not disposed) with any G(x_{t+1}, t, z) → x_0.</summary>
    public Tensor Run(Func<Tensor, Tensor, Tensor, Tensor> generator, int noiseDim, Tensor xT, Generator? rng = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(xT);
        if (noiseDim < 1) throw new ArgumentOutOfRangeException(nameof(noiseDim), noiseDim, "the generator's noise dimension must be at least 1.");
        using var noGrad = no_grad();
        long n = xT.shape[0];
        var device = xT.device;
        Tensor x = xT;
        for (int i = _process.NumTimesteps - 1; i >= 0; i--)
        {
            Tensor next;
            using (var step = NewDisposeScope())
            {
                var t = full([n], i, ScalarType.Int64, device);
                var z = GeneratorNoise.Normal([n, noiseDim], ScalarType.Float32, device, rng);
                var x0 = generator(x, t, z);
                next = _process.SamplePosterior(x0, x, t, rng).detach().MoveToOuterDisposeScope();
            }
            if (!ReferenceEquals(x, xT)) x.Dispose();
            x = next;
        }
        // The caller owns what is returned; a process with no steps would return a copy of x_T, never x_T itself.
        return ReferenceEquals(x, xT) ? xT.clone() : x;
    }
}
