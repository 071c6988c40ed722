namespace LddGan.Engine.Training;

/// <summary>
/// The learning rate at a point of the run. Cosine is the closed form of PyTorch's CosineAnnealingLR(T_max = num_epochs,
/// eta_min = lr_min) stepped once per epoch; cosine_steps is the same curve over optimiser steps. The closed forms make
/// resuming exact.
/// </summary>
public static class LearningRates
{
    public static double At(LrSchedule schedule, double baseLr, double minLr, int epoch, int numEpochs) => schedule switch
    {
        LrSchedule.Constant => baseLr,
        LrSchedule.Cosine => Cosine(baseLr, minLr, epoch, numEpochs),
        LrSchedule.CosineSteps => throw new ArgumentException("cosine_steps is evaluated per step: use AtStep", nameof(schedule)),
        _ => throw new ArgumentOutOfRangeException(nameof(schedule)),
    };

    /// <summary>The rate for optimiser step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    public static double AtStep(LrSchedule schedule, double baseLr, double minLr, int epoch, int numEpochs, long step, long totalSteps) =>
        schedule == LrSchedule.CosineSteps ? Cosine(baseLr, minLr, Math.Min(step, totalSteps), Math.Max(totalSteps, 1))
                                           : At(schedule, baseLr, minLr, epoch, numEpochs);

    private static double Cosine(double baseLr, double minLr, double position, double length) =>
        minLr + (baseLr - minLr) * (1 + Math.Cos(Math.PI * position / length)) / 2;
}
