using System.Diagnostics;
using static TorchSharp.torch;

namespace LddGan.Engine.Training;

/// <summary>
/// Batches assembled in the caller's thread when asked for (<c>[train] prefetch = false</c>): the step waits for the
/// whole of <c>GetBatch</c>, which is what this mode is for measuring. It walks the run's own cursor and streams.
/// </summary>
internal sealed class SynchronousBatches : ITrainingBatches
{
    private readonly BatchWalk _walk;
    private readonly Generator _augmentation;
    private readonly IEnumerator<long[]> _indices;
    private long _handedOut;

    public SynchronousBatches(BatchWalk walk, EpochCursor cursor, Generator augmentation, Action<int>? epochStarting,
                              CancellationToken cancellation)
    {
        _walk = walk;
        _augmentation = augmentation;
        _indices = cursor.Batches(walk.Dataset.Count, walk.BatchSize, walk.NumEpochs, () => _handedOut < walk.Steps,
                                  cancellation, epochStarting).GetEnumerator();
    }

    public TimeSpan LastWait { get; private set; }

    public TrainingBatch? Next()
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            if (!_indices.MoveNext()) return null;
            _handedOut++;
            return _walk.Assemble(_indices.Current, _augmentation);
        }
        finally
        {
            LastWait = Stopwatch.GetElapsedTime(start);
        }
    }

    public void Dispose() => _indices.Dispose();
}
