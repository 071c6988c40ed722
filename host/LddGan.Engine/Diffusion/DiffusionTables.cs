namespace LddGan.Engine.Diffusion;

/// <summary>
/// The coefficient tables of the DDGAN diffusion process, computed exactly as the official code does
/// (reference-models §1): the time grid and the discrete betas in float64, the betas then cast to float32, and
/// everything after that (a, σ, cumulative products, posterior coefficients) in float32 arithmetic.
/// Float32 values are exposed widened to double. Arrays indexed 0..T have length T+1; posterior arrays have length T.
/// <para>
/// Keeping the float32 step matters: a_cum[0] = sqrt(1 − 1e-8) rounds to 1 in float32, so σ_cum[0] is exactly 0 and
/// the t = 0 "real" sample is clean data, as in the official code.
/// </para>
/// </summary>
public sealed class DiffusionTables
{
    /// <summary>ε of the time grid τ_i = (i/T)(1 − ε) + ε.</summary>
    public const double TimeEpsilon = 1e-3;

    /// <summary>The dummy β_0 prepended by the official code.</summary>
    public const float DummyBeta = 1e-8f;

    /// <summary>Lower clamp of the posterior variance before the logarithm.</summary>
    public const float LogVarianceFloor = 1e-20f;

    public int NumTimesteps { get; }

    /// <summary>τ_0..τ_T (float64).</summary>
    public double[] TimeGrid { get; }

    /// <summary>β_0..β_T in float64, before the cast (β_0 is the dummy, as float32 1e-8 widened).</summary>
    public double[] BetasFloat64 { get; }

    /// <summary>β_0..β_T (float32 values).</summary>
    public double[] Betas { get; }

    /// <summary>a_i = sqrt(1 − β_i) (float32 values).</summary>
    public double[] A { get; }

    /// <summary>σ_i = sqrt(β_i) (float32 values).</summary>
    public double[] Sigma { get; }

    /// <summary>a_cum = cumprod(a) (float32 values).</summary>
    public double[] ACum { get; }

    /// <summary>σ_cum = sqrt(1 − a_cum²) (float32 values).</summary>
    public double[] SigmaCum { get; }

    /// <summary>Posterior mean coefficient of x_0, k = 0..T−1 (float32 values).</summary>
    public double[] PosteriorCoef1 { get; }

    /// <summary>Posterior mean coefficient of x_{k+1}, k = 0..T−1 (float32 values).</summary>
    public double[] PosteriorCoef2 { get; }

    /// <summary>Posterior variance, k = 0..T−1 (float32 values).</summary>
    public double[] PosteriorVariance { get; }

    /// <summary>log(max(posterior variance, 1e-20)), k = 0..T−1 (float32 values).</summary>
    public double[] PosteriorLogVarianceClipped { get; }

    // float32 copies used to build the tensors without a second rounding.
    internal float[] BetasF { get; }
    internal float[] AF { get; }
    internal float[] SigmaF { get; }
    internal float[] ACumF { get; }
    internal float[] SigmaCumF { get; }
    internal float[] Coef1F { get; }
    internal float[] Coef2F { get; }
    internal float[] VarianceF { get; }
    internal float[] LogVarianceF { get; }

    private DiffusionTables(DiffusionOptions options)
    {
        int T = options.NumTimesteps;
        NumTimesteps = T;
        TimeGrid = TimeSchedule(T);
        BetasFloat64 = DiscreteBetas(options);

        // Cast to float32; from here on every operation is a float32 operation (C# float arithmetic is IEEE single).
        BetasF = Array.ConvertAll(BetasFloat64, b => (float)b);
        SigmaF = Array.ConvertAll(BetasF, b => MathF.Sqrt(b));
        AF = Array.ConvertAll(BetasF, b => MathF.Sqrt(1f - b));
        ACumF = new float[T + 1];
        float product = 1f;
        for (int i = 0; i <= T; i++) ACumF[i] = product = i == 0 ? AF[0] : product * AF[i];
        SigmaCumF = Array.ConvertAll(ACumF, a => MathF.Sqrt(1f - a * a));

        // Posterior: drop the dummy β_0.
        var beta = BetasF[1..];
        var alpha = Array.ConvertAll(beta, b => 1f - b);
        var alphaCum = new float[T];
        for (int k = 0; k < T; k++) alphaCum[k] = k == 0 ? alpha[0] : alphaCum[k - 1] * alpha[k];
        var alphaCumPrev = new float[T];
        for (int k = 0; k < T; k++) alphaCumPrev[k] = k == 0 ? 1f : alphaCum[k - 1];
        VarianceF = new float[T];
        Coef1F = new float[T];
        Coef2F = new float[T];
        LogVarianceF = new float[T];
        for (int k = 0; k < T; k++)
        {
            float denominator = 1f - alphaCum[k];
            VarianceF[k] = beta[k] * (1f - alphaCumPrev[k]) / denominator;
            Coef1F[k] = beta[k] * MathF.Sqrt(alphaCumPrev[k]) / denominator;
            Coef2F[k] = (1f - alphaCumPrev[k]) * MathF.Sqrt(alpha[k]) / denominator;
            LogVarianceF[k] = MathF.Log(MathF.Max(VarianceF[k], LogVarianceFloor));
        }

        Betas = Widen(BetasF);
        A = Widen(AF);
        Sigma = Widen(SigmaF);
        ACum = Widen(ACumF);
        SigmaCum = Widen(SigmaCumF);
        PosteriorCoef1 = Widen(Coef1F);
        PosteriorCoef2 = Widen(Coef2F);
        PosteriorVariance = Widen(VarianceF);
        PosteriorLogVarianceClipped = Widen(LogVarianceF);
    }

    /// <summary>Computes the tables; throws <see cref="ArgumentException"/> when the options are invalid.</summary>
    public static DiffusionTables Compute(DiffusionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new ArgumentException("invalid [diffusion] options: " + string.Join(" ", errors), nameof(options));
        return new DiffusionTables(options);
    }

    /// <summary>τ_i = (i/T)(1 − ε) + ε for i = 0..T, in float64 (official <c>get_time_schedule</c>).</summary>
    public static double[] TimeSchedule(int numTimesteps)
    {
        var tau = new double[numTimesteps + 1];
        for (int i = 0; i <= numTimesteps; i++) tau[i] = (double)i / numTimesteps * (1.0 - TimeEpsilon) + TimeEpsilon;
        return tau;
    }

    /// <summary>
    /// β_0..β_T in float64 (official <c>get_sigma_schedule</c> before the float32 cast), without range checks:
    /// β_0 = 1e-8 (the float32 constant), β_i = 1 − ᾱ(τ_i)/ᾱ(τ_{i−1}).
    /// </summary>
    public static double[] DiscreteBetas(DiffusionOptions options)
    {
        double[] tau = TimeSchedule(options.NumTimesteps);
        double bMin = options.BetaMin, bMax = options.BetaMax;
        var alphaBar = new double[tau.Length];
        for (int i = 0; i < tau.Length; i++)
        {
            double t = tau[i];
            double variance = options.UseGeometric
                ? bMin * Math.Pow(bMax / bMin, t)
                : 1.0 - Math.Exp(2.0 * (-0.25 * t * t * (bMax - bMin) - 0.5 * t * bMin));
            alphaBar[i] = 1.0 - variance;
        }
        var betas = new double[tau.Length];
        betas[0] = DummyBeta;
        for (int i = 1; i < tau.Length; i++) betas[i] = 1.0 - alphaBar[i] / alphaBar[i - 1];
        return betas;
    }

    private static double[] Widen(float[] values) => Array.ConvertAll(values, v => (double)v);
}
