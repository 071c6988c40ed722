namespace LddGan.Engine.Sessions;

/// <summary>
/// A run's training wall time summed over resumes: the seconds recorded in the checkpoint it resumed from, plus this
/// session's time spent in the training loop. Recorded in every checkpoint (<c>TrainingSeconds</c>) and budgeted by
/// <c>[train] max_hours</c>.
/// </summary>
public sealed class TrainingClock
{
    private readonly System.Diagnostics.Stopwatch _thisSession = new();
    private double _earlierSeconds;

    public double Seconds => _earlierSeconds + _thisSession.Elapsed.TotalSeconds;

    /// <summary>Continues from a checkpoint's recorded training time.</summary>
    public void ResumeFrom(double recordedSeconds) => _earlierSeconds = recordedSeconds;

    public void Start() => _thisSession.Start();

    public void Stop() => _thisSession.Stop();
}
