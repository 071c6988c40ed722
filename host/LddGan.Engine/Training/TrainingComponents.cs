using LddGan.Abstractions;

namespace LddGan.Engine.Training;

/// <summary>Everything a diffusion-GAN training run is made of. The trainer owns none of it.</summary>
/// <param name="GeneratorEma">A second generator of the same architecture that holds the EMA weights (null: no EMA).</param>
public sealed record TrainingComponents(
    IDataset Dataset,
    ILatentSpace LatentSpace,
    IDiffusionProcess Process,
    Denoiser Generator,
    Denoiser? GeneratorEma,
    Discriminator Discriminator,
    ILossSchedule LossSchedule);
