using LddGan.Abstractions;
using TorchSharp.Modules;

namespace LddGan.Engine.Training;

/// <summary>
/// What a training session drives, whichever the model family: the diffusion GAN's adversarial training
/// (<see cref="DiffusionGanTrainer"/>) or a Gaussian diffusion model's denoising (<see cref="GaussianDiffusionTrainer"/>).
/// </summary>
public interface IDiffusionTrainer : IDisposable
{
    long GlobalStep { get; }
    int Epoch { get; }
    int BatchInEpoch { get; }
    int BatchesPerEpoch { get; }
    long TotalSteps { get; }
    TrainerPosition Position { get; }
    void RestorePosition(TrainerPosition position);

    /// <summary>The network whose weights are sampled and released: the EMA copy when EMA is on.</summary>
    Denoiser SamplingGenerator { get; }
    ExponentialMovingAverage? Ema { get; }
    /// <summary>The optimisers a checkpoint keeps, by the name of the network they train.</summary>
    IReadOnlyList<(string Name, OptimizerHelper Optimizer)> Optimizers { get; }
    double CurrentLrG { get; }
    /// <summary>The discriminator's learning rate; NaN when there is none.</summary>
    double CurrentLrD { get; }

    /// <summary>Set when the CPU's oneDNN convolution gradients were found wrong: what was done about it.</summary>
    string? CpuGradientNote { get; }
    /// <summary>How long the last step of <see cref="Run"/> waited for its batch.</summary>
    TimeSpan LastDataWait { get; }

    /// <summary>Runs epochs until the budget is spent; <paramref name="afterStep"/> sees each step's losses while still on the device.</summary>
    void Run(Action<PendingStepLosses> afterStep, CancellationToken cancellation = default);
}
