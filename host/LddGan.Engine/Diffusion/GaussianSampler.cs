using LddGan.Abstractions;
using LddGan.Engine.Runtime;
using static TorchSharp.torch;

namespace LddGan.Engine.Diffusion;

/// <summary>
/// How a Gaussian diffusion model is sampled (the <c>[sample]</c> keys <c>sampler</c>, <c>steps</c>, <c>eta</c>,
/// <c>guidance_scale</c>; <c>lddgan sample --sampler --steps --eta --guidance</c>).
/// </summary>
public sealed record GaussianSamplerSettings(string Sampler = "ancestral", int Steps = 0, double Eta = 0.0, double GuidanceScale = 1.0)
{
    public bool IsDdim => Sampler == "ddim";

    /// <summary>A short description for reports, e.g. "DDIM 50 steps, η 0".</summary>
    public string Describe(int numTimesteps) => IsDdim
        ? $"DDIM {StepCount(numTimesteps)} steps, η {Eta:0.##}"
        : $"DDPM ancestral, {numTimesteps} steps";

    /// <summary>The number of network steps for a process of <paramref name="numTimesteps"/> steps.</summary>
    public int StepCount(int numTimesteps) => IsDdim && Steps > 0 ? Math.Min(Steps, numTimesteps) : numTimesteps;
}

/// <summary>
/// Samplers of a Gaussian diffusion model whose network predicts ε or v (<see cref="IGaussianDiffusion.Prediction"/>).
/// <list type="bullet">
/// <item>Ancestral (Ho et al. 2020, Alg. 2): x_0 is predicted from x_{t+1} (and clipped), then x_t ~ q(x_t | x_0, x_{t+1}),
/// the process's posterior, for t = T−1 … 0.</item>
/// <item>DDIM (Song et al. 2021, eq. 12): on S steps evenly spaced over T (target indices ⌊i·T/S⌋; the DDIM code's
/// <c>range(0, T, T // S)</c> when S divides T), from level a to the next level b:
/// x_b = √ᾱ_b·x_0 + √(1 − ᾱ_b − σ²)·ε + σ·z with σ = η·√((1 − ᾱ_b)/(1 − ᾱ_a))·√(1 − ᾱ_a/ᾱ_b). ε is recomputed from the
/// clipped x_0, so η = 1 on all T steps is the ancestral sampler.</item>
/// </list>
/// Classifier-free guidance (Ho &amp; Salimans 2022) combines the network's outputs for the labels and for "no class":
/// out = out(∅) + s·(out(y) − out(∅)); s = 1 (conditional) and s = 0 (unconditional) call the network once. Runs without gradients.
/// </summary>
public sealed class GaussianSampler
{
    private readonly IGaussianDiffusion _process;
    private readonly GaussianSamplerSettings _settings;

    public GaussianSampler(IGaussianDiffusion process, GaussianSamplerSettings settings)
    {
        _process = process ?? throw new ArgumentNullException(nameof(process));
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        if (settings.Sampler is not ("ancestral" or "ddim"))
            throw new ArgumentException($"sampler must be \"ancestral\" or \"ddim\", not \"{settings.Sampler}\".", nameof(settings));
        if (!(settings.Eta >= 0) || settings.Eta > 1)
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Eta, "eta must lie in [0, 1].");
    }

    /// <summary>The target indices visited, from the noisiest down to 0.</summary>
    public IReadOnlyList<int> Timesteps
    {
        get
        {
            int T = _process.NumTimesteps, S = _settings.StepCount(T);
            return [.. Enumerable.Range(0, S).Select(i => (int)((long)i * T / S)).Reverse()];
        }
    }

    /// <summary>Network evaluations per sample: the steps, twice over with guidance (a scale other than 0 and 1).</summary>
    public int NumFunctionEvaluations(bool guided) => Timesteps.Count * (guided ? 2 : 1);

    /// <summary>Draws x_T of shape (<paramref name="count"/>, ...<paramref name="latentShape"/>) and runs the sampler.</summary>
    public Tensor Sample(Denoiser network, SampleShape latentShape, long count, Device device, Generator? rng = null, Tensor? classLabels = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "the number of samples must be at least 1.");
        using var scope = NewDisposeScope();
        using var xT = GeneratorNoise.Normal(latentShape.WithBatch(count), ScalarType.Float32, device, rng);
        // The labels go to the device once, not at every step.
        return Run(Network(network, classLabels?.to(device)), xT, rng).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The network as the sampler calls it, out(x_{t+1}, t): z fixed at 0 (a Gaussian model has no latent noise), the
    /// class labels when given (on the device x will be on), and guidance when the scale is not 1.
    /// </summary>
    public Func<Tensor, Tensor, Tensor> Network(Denoiser network, Tensor? classLabels)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (classLabels is null) return (x, t) => network.call(x, t, ZeroNoise(network, x));
        if (network.NumClasses < 1)
            throw new InvalidOperationException("class labels were given, but the model is not class-conditional (train it with [generator] num_classes).");
        double scale = _settings.GuidanceScale;
        if (scale == 1.0) return (x, t) => network.forward(x, t, ZeroNoise(network, x), classLabels);
        var none = full_like(classLabels, network.NumClasses);
        if (scale == 0.0) return (x, t) => network.forward(x, t, ZeroNoise(network, x), none);   // out(∅) alone
        var labelsThenNone = cat([classLabels, none]);
        return (x, t) =>
        {
            using var scope = NewDisposeScope();
            var both = network.forward(cat([x, x]), cat([t, t]), ZeroNoise(network, cat([x, x])), labelsThenNone);
            var parts = both.chunk(2);
            return (parts[1] + (parts[0] - parts[1]) * scale).MoveToOuterDisposeScope();
        };
    }

    private static Tensor ZeroNoise(Denoiser network, Tensor x) => zeros([x.shape[0], Math.Max(network.NoiseDim, 1)], ScalarType.Float32, x.device);

    /// <summary>Runs the sampler from a given x_T (not modified, not disposed) with any network out(x_{t+1}, t).</summary>
    public Tensor Run(Func<Tensor, Tensor, Tensor> network, Tensor xT, Generator? rng = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(xT);
        using var noGrad = no_grad();
        long n = xT.shape[0];
        var device = xT.device;
        var alphaBar = _process.AlphasCumprod;
        var steps = Timesteps;
        Tensor x = xT;
        for (int s = 0; s < steps.Count; s++)
        {
            int i = steps[s];
            Tensor next;
            using (var scope = NewDisposeScope())
            {
                var t = full([n], i, ScalarType.Int64, device);
                var (x0, eps) = Predict(network(x, t), x, alphaBar[i + 1]);
                if (!_settings.IsDdim)
                    next = _process.SamplePosterior(x0, x, t, rng);
                else
                {
                    double a = alphaBar[i + 1], b = s + 1 < steps.Count ? alphaBar[steps[s + 1] + 1] : 1.0;
                    double sigma = _settings.Eta * Math.Sqrt((1 - b) / (1 - a)) * Math.Sqrt(1 - a / b);
                    next = x0 * Math.Sqrt(b) + eps * Math.Sqrt(Math.Max(1 - b - sigma * sigma, 0));
                    if (sigma > 0) next = next + GeneratorNoise.Normal(x.shape, x.dtype, device, rng) * sigma;
                }
                next = next.detach().MoveToOuterDisposeScope();
            }
            if (!ReferenceEquals(x, xT)) x.Dispose();
            x = next;
        }
        return ReferenceEquals(x, xT) ? xT.clone() : x;
    }

    /// <summary>x_0 and ε from the network's output at level a (ᾱ = <paramref name="alphaBar"/>); x_0 clipped when the process says so, ε then recomputed.</summary>
    public (Tensor X0, Tensor Epsilon) Predict(Tensor output, Tensor x, double alphaBar)
    {
        double sa = Math.Sqrt(alphaBar), so = Math.Sqrt(1 - alphaBar);
        var x0 = _process.Prediction == PredictionType.V ? x * sa - output * so : (x - output * so) / sa;
        if (!_process.ClipSample)
            return (x0, _process.Prediction == PredictionType.V ? x * so + output * sa : output);
        x0 = x0.clamp(-1, 1);
        return (x0, (x - x0 * sa) / so);
    }
}
