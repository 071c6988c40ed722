using static TorchSharp.torch;

namespace LddGan.Abstractions;

/// <summary>
/// The forward process and its posterior, with T (few) steps.
/// Indexing follows the official code: t in {0..T-1} is the index of the target state;
/// pairs are (x_t, x_{t+1}) and the posterior step maps x_{t+1} to x_t.
/// </summary>
public interface IDiffusionProcess : IDisposable
{
    int NumTimesteps { get; }

    /// <summary>q_sample_pairs: x_t ~ q(x_t | x_0), then x_{t+1} ~ q(x_{t+1} | x_t).</summary>
    (Tensor XT, Tensor XNext) SamplePairs(Tensor x0, Tensor t, Generator? rng = null);

    /// <summary>sample_posterior: x_t ~ q(x_t | x_0, x_{t+1}); deterministic at t = 0.</summary>
    Tensor SamplePosterior(Tensor x0, Tensor xNext, Tensor t, Generator? rng = null);

    void MoveTo(Device device);
}

/// <summary>
/// Options of a diffusion process: they fix T, so the host knows it from the recipe before anything is built and one
/// <see cref="ComponentContext"/> carries it to every factory (since abstractions 1.3; a process's options must implement it).
/// </summary>
public interface IDiffusionProcessOptions
{
    /// <summary>Number of diffusion steps T (recipe key <c>num_timesteps</c>).</summary>
    int NumTimesteps { get; }
}
