namespace LddGan.Abstractions;

/// <summary>Where training is, for schedules that depend on it.</summary>
/// <param name="Epoch">Current epoch, 0-based.</param>
/// <param name="NumEpochs">The configured epoch budget (the official <c>num_epoch</c>).</param>
/// <param name="GlobalStep">Optimiser steps taken so far.</param>
public readonly record struct TrainingProgress(int Epoch, int NumEpochs, long GlobalStep);

/// <summary>Weights of the generator's loss terms: adversarial (non-saturating) and L1 reconstruction of x_0.</summary>
public readonly record struct GeneratorLossWeights(double Adversarial, double Reconstruction);

/// <summary>
/// How the generator's objective mixes its terms over training: adversarial only (DDGAN), constant reconstruction
/// weight (WDDGAN), or LDDGAN's sigmoid-decayed "Weighted Learning".
/// </summary>
public interface ILossSchedule
{
    GeneratorLossWeights WeightsAt(TrainingProgress progress);
}
