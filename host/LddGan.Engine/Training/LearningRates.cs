namespace LddGan.Engine.Training;

/// <summary>
/// Per-epoch learning rate. Cosine is the closed form of PyTorch's CosineAnnealingLR(T_max = num_epochs,
/// eta_min = lr_min) stepped once per epoch; the closed form makes resuming exact.
/// </summary>
public static class LearningRates
{
    public static double At(LrSchedule schedule, double baseLr, double minLr, int epoch, int numEpochs) => schedule switch
    {
        LrSchedule.Constant => baseLr,
        LrSchedule.Cosine => minLr + (baseLr - minLr) * (1 + Math.Cos(Math.PI * epoch / numEpochs)) / 2,
        _ => throw new ArgumentOutOfRangeException(nameof(schedule)),
    };
}
