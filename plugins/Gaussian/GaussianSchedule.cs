namespace LddGan.Plugins.Gaussian;

/// <summary>The β schedule of a DDPM process in double precision: β_k and ᾱ_k for the noise levels k = 0 … T (β_0 = 0, ᾱ_0 = 1).</summary>
public sealed class GaussianSchedule
{
    private GaussianSchedule(double[] betas)
    {
        Betas = betas;
        var alphasCumprod = new double[betas.Length];
        alphasCumprod[0] = 1.0;
        for (int k = 1; k < betas.Length; k++) alphasCumprod[k] = alphasCumprod[k - 1] * (1.0 - betas[k]);
        AlphasCumprod = alphasCumprod;
    }

    /// <summary>β_k, k = 0 … T; β_0 = 0.</summary>
    public IReadOnlyList<double> Betas { get; }
    /// <summary>ᾱ_k, k = 0 … T; ᾱ_0 = 1.</summary>
    public IReadOnlyList<double> AlphasCumprod { get; }
    public int NumTimesteps => Betas.Count - 1;

    public static GaussianSchedule From(GaussianDiffusionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int T = options.NumTimesteps;
        var betas = new double[T + 1];
        if (options.BetaSchedule == "cosine")
        {
            // Nichol & Dhariwal (2021): ᾱ(τ) = cos²((τ + s)/(1 + s)·π/2), β_k = 1 − ᾱ(k/T)/ᾱ((k−1)/T), at most 0.999.
            double F(double tau) => Math.Pow(Math.Cos((tau + options.CosineS) / (1 + options.CosineS) * Math.PI / 2), 2);
            for (int k = 1; k <= T; k++) betas[k] = Math.Min(1 - F((double)k / T) / F((double)(k - 1) / T), 0.999);
        }
        else
        {
            // score_sde's DDPM: torch.linspace(beta_min / N, beta_max / N, N).
            double first = options.BetaMin / T, last = options.BetaMax / T;
            for (int k = 1; k <= T; k++) betas[k] = first + (last - first) * (k - 1) / (T - 1);
        }
        return new GaussianSchedule(betas);
    }
}
