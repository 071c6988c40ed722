using System.Diagnostics;
using System.Runtime.ExceptionServices;
using LddGan.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Training;

/// <summary>
/// Assembles batch k + 1 on one background thread while step k trains (<c>[train] prefetch = true</c>); at most one
/// batch is in flight, and a new one is started only when the previous one is taken.
/// <para>
/// Exact resume: the worker walks private copies of the cursor and of the data-order and augmentation streams, never
/// the run's own. Each batch comes with the state those copies had where the synchronous walk stands (just before the
/// batch is cut from the permutation, where a stop is noticed, and just after its augmentation was drawn); taking the
/// batch writes that state into the run's cursor and streams, in the caller's thread. So whatever reads them between
/// steps (a checkpoint, a script) sees what the synchronous code would hold, and a batch drawn ahead but never taken
/// (the end, a stop, divergence) leaves no trace. Epoch starts are replayed to the caller in its own thread too.
/// </para>
/// </summary>
internal sealed class BatchPrefetcher : ITrainingBatches
{
    private readonly BatchWalk _walk;
    private readonly EpochCursor _runCursor;
    private readonly RandomStreams _runStreams;
    private readonly Action<int>? _epochStarting;
    private readonly CancellationToken _cancellation;
    private readonly Generator _dataOrder;
    private readonly Generator _augmentation;
    private readonly EpochCursor _cursor;
    private readonly SemaphoreSlim _wanted = new(0);
    private readonly SemaphoreSlim _ready = new(0);
    private readonly Thread _worker;
    private volatile bool _stopping;
    private Drawn? _drawn;   // written by the worker before it releases _ready
    private bool _finished;

    public BatchPrefetcher(BatchWalk walk, EpochCursor runCursor, RandomStreams runStreams, Action<int>? epochStarting,
                           CancellationToken cancellation)
    {
        _walk = walk;
        _runCursor = runCursor;
        _runStreams = runStreams;
        _epochStarting = epochStarting;
        _cancellation = cancellation;
        _dataOrder = CopyOf(runStreams.DataOrder);
        _augmentation = CopyOf(runStreams.Augmentation);
        _cursor = new EpochCursor(_dataOrder);
        _cursor.Restore(runCursor.At(0));
        _worker = new Thread(Work) { Name = ThreadName, IsBackground = true };
        _worker.Start();
        _wanted.Release();
    }

    /// <summary>The worker thread's name (what a debugger or <c>/proc/&lt;pid&gt;/task/*/comm</c> shows).</summary>
    public const string ThreadName = "lddgan-prefetch";

    public TimeSpan LastWait { get; private set; }

    public TrainingBatch? Next()
    {
        if (_finished) return null;
        long start = Stopwatch.GetTimestamp();
        _ready.Wait();
        var drawn = Interlocked.Exchange(ref _drawn, null)!;
        LastWait = Stopwatch.GetElapsedTime(start);
        if (drawn.Error is not null)
        {
            _finished = true;
            drawn.Error.Throw();
        }
        foreach (int epoch in drawn.EpochsStarted) _epochStarting?.Invoke(epoch);
        if (drawn.Batch is null)
        {
            _finished = true;
            Commit(drawn.After!);
            return null;
        }
        Commit(drawn.BeforeCut!);
        if (_cancellation.IsCancellationRequested)
        {
            _finished = true;
            drawn.Batch.Dispose();
            _cancellation.ThrowIfCancellationRequested();
        }
        Commit(drawn.After!);
        _wanted.Release();   // the next batch is assembled while this one trains
        return drawn.Batch;
    }

    private void Work()
    {
        var epochsStarted = new List<int>();
        long handedOut = 0;
        try
        {
            using var indices = _cursor.Batches(_walk.Dataset.Count, _walk.BatchSize, _walk.NumEpochs, () => handedOut < _walk.Steps,
                                                CancellationToken.None, epochsStarted.Add).GetEnumerator();
            while (true)
            {
                _wanted.Wait();
                if (_stopping) return;
                bool more = indices.MoveNext();
                int[] epochs = [.. epochsStarted];
                epochsStarted.Clear();
                if (!more)
                {
                    Publish(new Drawn(null, epochs, null, Snapshot(_cursor.At(0)), null));
                    return;
                }
                handedOut++;
                var after = _cursor.At(0);
                var beforeCut = Snapshot(after with { BatchInEpoch = after.BatchInEpoch - 1 });
                TrainingBatch batch;
                using (var scope = NewDisposeScope())
                    batch = _walk.Assemble(indices.Current, _augmentation);
                Publish(new Drawn(batch, epochs, beforeCut, Snapshot(after), null));
            }
        }
        catch (Exception e)
        {
            Publish(new Drawn(null, [], null, null, ExceptionDispatchInfo.Capture(e)));
        }
    }

    private void Publish(Drawn drawn)
    {
        Volatile.Write(ref _drawn, drawn);
        _ready.Release();
    }

    private StreamsState Snapshot(TrainerPosition cursor) => new(cursor, StateOf(_dataOrder), StateOf(_augmentation));

    /// <summary>Puts the run's cursor and streams where the synchronous walk would have them.</summary>
    private void Commit(StreamsState state)
    {
        _runCursor.Restore(state.Cursor);
        using (var dataOrder = torch.tensor(state.DataOrder)) _runStreams.DataOrder.set_state(dataOrder);
        using (var augmentation = torch.tensor(state.Augmentation)) _runStreams.Augmentation.set_state(augmentation);
    }

    private static byte[] StateOf(Generator generator)
    {
        using var state = generator.get_state();
        return state.data<byte>().ToArray();
    }

    private static Generator CopyOf(Generator generator)
    {
        var copy = new Generator(0);
        using var state = generator.get_state();
        copy.set_state(state);
        return copy;
    }

    /// <summary>Stops the worker (a batch being assembled is finished first) and disposes a batch never taken.</summary>
    public void Dispose()
    {
        _stopping = true;
        _wanted.Release();
        _worker.Join();
        Interlocked.Exchange(ref _drawn, null)?.Batch?.Dispose();
        _dataOrder.Dispose();
        _augmentation.Dispose();
        _wanted.Dispose();
        _ready.Dispose();
    }

    /// <summary>The cursor position and the data-order and augmentation stream states at one point of the walk.</summary>
    private sealed record StreamsState(TrainerPosition Cursor, byte[] DataOrder, byte[] Augmentation);

    /// <summary>One answer of the worker: a batch, the end of the walk (no batch), or what went wrong.</summary>
    private sealed record Drawn(TrainingBatch? Batch, int[] EpochsStarted, StreamsState? BeforeCut, StreamsState? After, ExceptionDispatchInfo? Error);
}
