namespace LddGan.Abstractions;

/// <summary>What a Gaussian diffusion model's network predicts (diffusers' <c>prediction_type</c>).</summary>
public enum PredictionType
{
    /// <summary>The noise ε of x_k = √ᾱ_k·x_0 + √(1 − ᾱ_k)·ε (Ho et al. 2020).</summary>
    Epsilon,
    /// <summary>The velocity v = √ᾱ_k·ε − √(1 − ᾱ_k)·x_0 (Salimans &amp; Ho 2022).</summary>
    V,
}

/// <summary>
/// Options of a Gaussian diffusion process (DDPM): a recipe whose <c>[diffusion]</c> options implement this is trained
/// by denoising (the simple MSE loss), without a discriminator or a GAN loss schedule, and sampled by DDPM or DDIM
/// (since abstractions 1.5).
/// </summary>
public interface IGaussianDiffusionOptions : IDiffusionProcessOptions
{
    /// <summary>What the network predicts (recipe key <c>prediction_type</c>).</summary>
    PredictionType Prediction { get; }
}

/// <summary>
/// A Gaussian diffusion process with many small steps (DDPM). It keeps the indexing of <see cref="IDiffusionProcess"/>:
/// the state x_{t+1} is denoised towards x_t, t ∈ {0..T−1} is what the network is given, and
/// <see cref="IDiffusionProcess.SamplePosterior"/> is DDPM's ancestral step q(x_t | x_0, x_{t+1}) (since abstractions 1.5).
/// </summary>
public interface IGaussianDiffusion : IDiffusionProcess
{
    /// <summary>ᾱ_k = ∏_{i≤k} (1 − β_i) for the noise levels k = 0 … T; ᾱ_0 = 1 (clean data). State x_{t+1} has level t + 1.</summary>
    IReadOnlyList<double> AlphasCumprod { get; }

    /// <summary>What the network predicts.</summary>
    PredictionType Prediction { get; }

    /// <summary>Whether predicted x_0 are clipped to [−1, 1] while sampling (data in [−1, 1], as DDPM's images).</summary>
    bool ClipSample { get; }
}
