using LddGan.Abstractions;
using static TorchSharp.torch;
using LddGan.Engine.Runtime;

namespace LddGan.Engine.Diffusion;

/// <summary>
/// The DDGAN forward process and its posterior (official <c>q_sample_pairs</c> and <c>sample_posterior</c>), for
/// samples of any rank: images (B, C, H, W) or vectors (B, D). Time indices t ∈ {0..T−1} are int64 tensors of shape (B),
/// one per sample; t is the index of the target (less noisy) state (reference-models §1.8).
/// Every draw comes from the generator passed in, so runs are reproducible from their seeds.
/// </summary>
public sealed class DiffusionGanProcess : IDiffusionProcess
{
    private readonly DiffusionCoefficients _coefficients;
    private bool _disposed;

    public DiffusionGanProcess(DiffusionOptions options, Device? device = null)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _coefficients = new DiffusionCoefficients(DiffusionTables.Compute(options), device);
    }

    public DiffusionOptions Options { get; }
    public int NumTimesteps => _coefficients.NumTimesteps;
    public DiffusionCoefficients Coefficients => _coefficients;
    public DiffusionTables Tables => _coefficients.Tables;

    /// <summary>q(x_t | x_0): a_cum[t]·x_0 + σ_cum[t]·ε with fresh ε ~ N(0, I).</summary>
    public Tensor QSample(Tensor x0, Tensor t, Generator? rng = null)
    {
        CheckBatch(x0, t);
        using var scope = NewDisposeScope();
        var noise = GeneratorNoise.Normal(x0.shape, x0.dtype, x0.device, rng);
        return Diffuse(x0, t, noise).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// (x_t, x_{t+1}): x_t = a_cum[t]·x_0 + σ_cum[t]·ε₁ and x_{t+1} = a[t+1]·x_t + σ[t+1]·ε₂, with independent fresh ε₁, ε₂.
    /// ε₂ is drawn before ε₁, in the official code's order, so the same seed gives the same pairs as PyTorch on CPU.
    /// </summary>
    public (Tensor XT, Tensor XNext) SamplePairs(Tensor x0, Tensor t, Generator? rng = null)
    {
        CheckBatch(x0, t);
        using var scope = NewDisposeScope();
        var noiseStep = GeneratorNoise.Normal(x0.shape, x0.dtype, x0.device, rng);
        var noiseMarginal = GeneratorNoise.Normal(x0.shape, x0.dtype, x0.device, rng);
        var xt = Diffuse(x0, t, noiseMarginal);
        int rank = (int)x0.dim();
        var next = t + 1;
        var xNext = DiffusionCoefficients.Extract(_coefficients.A, next, rank, x0.device) * xt
                  + DiffusionCoefficients.Extract(_coefficients.Sigma, next, rank, x0.device) * noiseStep;
        return (xt.MoveToOuterDisposeScope(), xNext.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// x_t ~ q(x_t | x_0, x_{t+1}) = coef1[t]·x_0 + coef2[t]·x_{t+1} + 1[t≠0]·exp(½·logvar[t])·ε.
    /// The noise is masked per sample, so samples at t = 0 get exactly the posterior mean (which is x_0 up to float32 rounding of coef1[0]).
    /// Differentiable with respect to <paramref name="x0"/> (the generator's prediction).
    /// </summary>
    public Tensor SamplePosterior(Tensor x0, Tensor xNext, Tensor t, Generator? rng = null)
    {
        CheckBatch(x0, t);
        if (!x0.shape.SequenceEqual(xNext.shape))
            throw new ArgumentException($"x0 has shape [{string.Join(", ", x0.shape)}] but xNext has [{string.Join(", ", xNext.shape)}]; they must match.");
        using var scope = NewDisposeScope();
        int rank = (int)xNext.dim();
        var device = xNext.device;
        var mean = DiffusionCoefficients.Extract(_coefficients.PosteriorCoef1, t, rank, device) * x0
                 + DiffusionCoefficients.Extract(_coefficients.PosteriorCoef2, t, rank, device) * xNext;
        var noise = GeneratorNoise.Normal(xNext.shape, xNext.dtype, device, rng);
        var logVariance = DiffusionCoefficients.Extract(_coefficients.PosteriorLogVarianceClipped, t, rank, device);
        var shape = new long[rank];
        Array.Fill(shape, 1L);
        shape[0] = t.shape[0];
        var nonzero = t.to(device).ne(0).to(ScalarType.Float32).reshape(shape);
        var sample = mean + nonzero * (logVariance * 0.5).exp() * noise;
        return sample.MoveToOuterDisposeScope();
    }

    public void MoveTo(Device device) => _coefficients.MoveTo(device);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _coefficients.Dispose();
    }

    private Tensor Diffuse(Tensor x0, Tensor t, Tensor noise)
    {
        int rank = (int)x0.dim();
        return DiffusionCoefficients.Extract(_coefficients.ACum, t, rank, x0.device) * x0
             + DiffusionCoefficients.Extract(_coefficients.SigmaCum, t, rank, x0.device) * noise;
    }

    private void CheckBatch(Tensor x, Tensor t)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (x.dim() < 2)
            throw new ArgumentException($"expected a batch of shape (B, ...) with at least 2 dimensions, got [{string.Join(", ", x.shape)}].");
        if (t.dim() != 1 || t.shape[0] != x.shape[0])
            throw new ArgumentException($"t must have shape ({x.shape[0]}), one step index per sample, got [{string.Join(", ", t.shape)}].");
        if (t.is_floating_point())
            throw new ArgumentException($"t must be an integer tensor (int64), got {t.dtype}.");
    }
}
