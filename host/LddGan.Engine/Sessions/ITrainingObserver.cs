using LddGan.Engine.Training;

namespace LddGan.Engine.Sessions;

/// <summary>What a training run is about to do.</summary>
public sealed record TrainingPlan(string RunDirectory, long StartStep, long TotalSteps, int BatchesPerEpoch, int NumEpochs, string Device, long Parameters);

/// <summary>
/// One step as shown to the user and written to metrics.jsonl. The losses may still sit on the training device:
/// <see cref="Losses"/> reads them (waiting for the device), so an observer reads them only when it shows them;
/// <see cref="LossesRead"/> says whether they are on the host already (the session reads them every log_every steps).
/// </summary>
public sealed record StepReport(long Step, int Epoch, PendingStepLosses PendingLosses, double LrG, double LrD, double ImagesPerSecond,
                                TimeSpan Elapsed, TimeSpan? Eta)
{
    public StepReport(long step, int epoch, StepLosses losses, double lrG, double lrD, double imagesPerSecond, TimeSpan elapsed, TimeSpan? eta)
        : this(step, epoch, PendingStepLosses.Known(step - 1, losses), lrG, lrD, imagesPerSecond, elapsed, eta) { }

    public StepLosses Losses => PendingLosses.Read();

    /// <summary>Training wall time of the run so far, summed over resumes (<see cref="Elapsed"/> counts this session only).</summary>
    public double TrainingSeconds { get; init; }

    public bool LossesRead => PendingLosses.IsRead;
}

/// <summary>The UI side of training (progress bar, logs); the engine stays UI-free.</summary>
public interface ITrainingObserver
{
    void Started(TrainingPlan plan);
    void Stepped(StepReport report);
    void Note(string message);
}

/// <summary>An observer that only writes notes to a text writer (tests, CI logs).</summary>
public sealed class TextTrainingObserver(TextWriter writer, int printEvery = 0) : ITrainingObserver
{
    public void Started(TrainingPlan plan) =>
        writer.WriteLine($"training {plan.TotalSteps - plan.StartStep} steps ({plan.BatchesPerEpoch} per epoch) on {plan.Device}, {plan.Parameters:N0} parameters → {plan.RunDirectory}");

    public void Stepped(StepReport r)
    {
        if (printEvery > 0 && r.Step % printEvery == 0)
            writer.WriteLine(r.PendingLosses.Adversarial
                ? $"step {r.Step} epoch {r.Epoch} D {r.Losses.DReal + r.Losses.DFake:F4} G {r.Losses.G:F4} {r.ImagesPerSecond:F1} img/s"
                : $"step {r.Step} epoch {r.Epoch} loss {r.Losses.G:F4} {r.ImagesPerSecond:F1} img/s");
    }

    public void Note(string message) => writer.WriteLine(message);
}
