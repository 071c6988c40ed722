namespace LddGan.Engine.Sessions;

/// <summary>
/// The time steps waited for their batches since the last metrics line: the mean goes into the line as
/// <c>data_ms</c>, so a data pipeline that cannot keep up shows as a number, not only as fewer images per second.
/// </summary>
public sealed class DataWaitWindow
{
    private double _totalMilliseconds;
    private long _steps;

    public void Add(TimeSpan wait)
    {
        _totalMilliseconds += wait.TotalMilliseconds;
        _steps++;
    }

    /// <summary>The mean wait per step since the last call (0 when no step was counted), and a new window.</summary>
    public double TakeMeanMilliseconds()
    {
        double mean = _steps > 0 ? _totalMilliseconds / _steps : 0;
        _totalMilliseconds = 0;
        _steps = 0;
        return mean;
    }
}
