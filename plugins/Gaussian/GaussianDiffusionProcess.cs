using LddGan.Abstractions;
using static TorchSharp.torch;

namespace LddGan.Plugins.Gaussian;

/// <summary>
/// DDPM's forward process q(x_k | x_{k−1}) = N(√(1 − β_k)·x_{k−1}, β_k·I) and its posterior, in the indexing of
/// <see cref="IDiffusionProcess"/>: t ∈ {0..T−1} names the target state x_t of a step from x_{t+1}. The ancestral step
/// (<see cref="SamplePosterior"/>) is Ho et al.'s with the posterior variance β̃ (log-clipped at t = 0 and masked there).
/// Every draw is made on the CPU from the generator passed in and copied to the device, so seeds give the same numbers everywhere.
/// </summary>
public sealed class GaussianDiffusionProcess : IGaussianDiffusion
{
    private readonly Tensor[] _tables;   // float32, on the device: see the properties below
    private bool _disposed;

    public GaussianDiffusionProcess(GaussianDiffusionOptions options, Device? device = null)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Schedule = GaussianSchedule.From(options);
        int T = Schedule.NumTimesteps;
        var a = Schedule.AlphasCumprod;
        var b = Schedule.Betas;
        double[] sqrtAlphaBar = new double[T + 1], sqrtOneMinusAlphaBar = new double[T + 1];
        double[] sqrtAlpha = new double[T + 1], sqrtBeta = new double[T + 1];
        double[] coef1 = new double[T], coef2 = new double[T], logVariance = new double[T];
        for (int k = 0; k <= T; k++)
        {
            sqrtAlphaBar[k] = Math.Sqrt(a[k]);
            sqrtOneMinusAlphaBar[k] = Math.Sqrt(1 - a[k]);
            sqrtAlpha[k] = Math.Sqrt(1 - b[k]);
            sqrtBeta[k] = Math.Sqrt(b[k]);
        }
        for (int t = 0; t < T; t++)
        {
            // q(x_t | x_0, x_{t+1}): mean coef1·x_0 + coef2·x_{t+1}, variance β̃ = β_{t+1}(1 − ᾱ_t)/(1 − ᾱ_{t+1}).
            coef1[t] = b[t + 1] * Math.Sqrt(a[t]) / (1 - a[t + 1]);
            coef2[t] = (1 - a[t]) * Math.Sqrt(1 - b[t + 1]) / (1 - a[t + 1]);
        }
        for (int t = 0; t < T; t++)
        {
            double variance = b[t + 1] * (1 - a[t]) / (1 - a[t + 1]);
            // DDPM's posterior_log_variance_clipped: β̃ at t = 0 is 0, so its log takes the next step's value (masked anyway).
            logVariance[t] = Math.Log(t == 0 ? b[2] * (1 - a[1]) / (1 - a[2]) : variance);
        }
        var target = device ?? CPU;
        _tables = [.. new[] { sqrtAlphaBar, sqrtOneMinusAlphaBar, sqrtAlpha, sqrtBeta, coef1, coef2, logVariance }
            .Select(values => tensor(values.Select(v => (float)v).ToArray()).to(target))];
    }

    public GaussianDiffusionOptions Options { get; }
    public GaussianSchedule Schedule { get; }
    public int NumTimesteps => Schedule.NumTimesteps;
    public IReadOnlyList<double> AlphasCumprod => Schedule.AlphasCumprod;
    public PredictionType Prediction => ((IGaussianDiffusionOptions)Options).Prediction;
    public bool ClipSample => Options.ClipSample;

    private Tensor SqrtAlphaBar => _tables[0];
    private Tensor SqrtOneMinusAlphaBar => _tables[1];
    private Tensor SqrtAlpha => _tables[2];
    private Tensor SqrtBeta => _tables[3];
    private Tensor PosteriorCoef1 => _tables[4];
    private Tensor PosteriorCoef2 => _tables[5];
    private Tensor PosteriorLogVarianceClipped => _tables[6];

    /// <summary>x_{t+1} = √ᾱ_{t+1}·x_0 + √(1 − ᾱ_{t+1})·ε for a given ε: the noisy input of the network's step t.</summary>
    public Tensor Diffuse(Tensor x0, Tensor t, Tensor noise)
    {
        CheckBatch(x0, t);
        var level = t + 1;
        return Extract(SqrtAlphaBar, level, x0) * x0 + Extract(SqrtOneMinusAlphaBar, level, x0) * noise;
    }

    /// <summary>(x_t, x_{t+1}): x_t ~ q(x_t | x_0) (x_0 itself at t = 0), then x_{t+1} ~ q(x_{t+1} | x_t); the step's noise is drawn first, as DDGAN's pairs.</summary>
    public (Tensor XT, Tensor XNext) SamplePairs(Tensor x0, Tensor t, Generator? rng = null)
    {
        CheckBatch(x0, t);
        using var scope = NewDisposeScope();
        var noiseStep = Normal(x0, rng);
        var noiseMarginal = Normal(x0, rng);
        var xt = Extract(SqrtAlphaBar, t, x0) * x0 + Extract(SqrtOneMinusAlphaBar, t, x0) * noiseMarginal;
        var xNext = Extract(SqrtAlpha, t + 1, x0) * xt + Extract(SqrtBeta, t + 1, x0) * noiseStep;
        return (xt.MoveToOuterDisposeScope(), xNext.MoveToOuterDisposeScope());
    }

    /// <summary>DDPM's ancestral step: x_t ~ q(x_t | x_0, x_{t+1}); the posterior mean at t = 0.</summary>
    public Tensor SamplePosterior(Tensor x0, Tensor xNext, Tensor t, Generator? rng = null)
    {
        CheckBatch(x0, t);
        if (!x0.shape.SequenceEqual(xNext.shape))
            throw new ArgumentException($"x0 has shape [{string.Join(", ", x0.shape)}] but xNext has [{string.Join(", ", xNext.shape)}]; they must match.");
        using var scope = NewDisposeScope();
        var mean = Extract(PosteriorCoef1, t, x0) * x0 + Extract(PosteriorCoef2, t, x0) * xNext;
        var noise = Normal(xNext, rng);
        var nonzero = Broadcastable(t.to(xNext.device).ne(0).to(ScalarType.Float32), x0);
        var sample = mean + nonzero * (Extract(PosteriorLogVarianceClipped, t, x0) * 0.5).exp() * noise;
        return sample.MoveToOuterDisposeScope();
    }

    public void MoveTo(Device device)
    {
        for (int i = 0; i < _tables.Length; i++)
        {
            var moved = _tables[i].to(device);
            if (!ReferenceEquals(moved, _tables[i])) _tables[i].Dispose();
            _tables[i] = moved;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var table in _tables) table.Dispose();
    }

    private static Tensor Normal(Tensor like, Generator? rng)
    {
        if (rng is null) return randn(like.shape, like.dtype, like.device);
        var drawn = randn(like.shape, like.dtype, CPU, generator: rng);
        if (like.device.type == TorchSharp.DeviceType.CPU) return drawn;
        using (drawn) return drawn.to(like.device, non_blocking: true);
    }

    /// <summary>table[index] per sample, shaped (B, 1, …) to broadcast against <paramref name="like"/>.</summary>
    private static Tensor Extract(Tensor table, Tensor index, Tensor like) =>
        Broadcastable(table.to(like.device).gather(0, index.to(like.device)), like);

    private static Tensor Broadcastable(Tensor perSample, Tensor like)
    {
        var shape = new long[like.dim()];
        Array.Fill(shape, 1L);
        shape[0] = perSample.shape[0];
        return perSample.reshape(shape);
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
