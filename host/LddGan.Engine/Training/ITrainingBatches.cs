using LddGan.Abstractions;
using LddGan.Engine.Runtime;
using static TorchSharp.torch;

namespace LddGan.Engine.Training;

/// <summary>What a trainer's run walks: the dataset in batches of <paramref name="BatchSize"/>, over
/// <paramref name="NumEpochs"/> epochs, for at most <paramref name="Steps"/> batches (one per optimiser step). With
/// <paramref name="WithLabels"/> each batch also carries its class labels (a class-conditional model; the dataset is an <see cref="ILabeledDataset"/>).</summary>
internal sealed record BatchWalk(IDataset Dataset, int BatchSize, int NumEpochs, long Steps, bool WithLabels = false)
{
    /// <summary>The samples at <paramref name="indices"/> (augmented from <paramref name="augmentation"/>), with their labels when the walk carries them.</summary>
    public TrainingBatch Assemble(long[] indices, Generator augmentation)
    {
        using var scope = NewDisposeScope();
        var data = Dataset.GetBatch(indices, augmentation);
        var labels = WithLabels ? ((ILabeledDataset)Dataset).GetLabels(indices) : null;
        return new TrainingBatch(data.DetachFromDisposeScope(), labels?.DetachFromDisposeScope());
    }
}

/// <summary>One training batch on the CPU: the samples and, for a class-conditional model, their labels (int64, shape (B)). The taker disposes it.</summary>
internal sealed class TrainingBatch(Tensor data, Tensor? labels) : IDisposable
{
    public Tensor Data { get; } = data;
    public Tensor? Labels { get; } = labels;

    public void Dispose()
    {
        Data.Dispose();
        Labels?.Dispose();
    }
}

/// <summary>
/// The batches of one trainer run, in the order of the run's <see cref="EpochCursor"/>, each drawn with the run's
/// augmentation stream. Between two calls of <see cref="Next"/> the cursor and the data-order and augmentation streams
/// stand exactly where the synchronous walk leaves them, so a checkpoint written after a step is the same whichever
/// implementation runs.
/// </summary>
internal interface ITrainingBatches : IDisposable
{
    /// <summary>
    /// The next batch (a CPU tensor in no dispose scope: the caller disposes it), or null when the walk is over. Throws
    /// <see cref="OperationCanceledException"/> where the synchronous walk would: before a batch is handed out.
    /// </summary>
    TrainingBatch? Next();

    /// <summary>How long the last <see cref="Next"/> kept its caller waiting for data.</summary>
    TimeSpan LastWait { get; }
}

/// <summary>Opens the batches of a run: assembled ahead on a background thread, or in the caller's thread.</summary>
internal static class TrainingBatches
{
    /// <param name="epochStarting">Sees each epoch's number as it starts, in the caller's thread (learning-rate schedules).</param>
    public static ITrainingBatches Open(bool prefetch, BatchWalk walk, EpochCursor cursor, RandomStreams rng,
                                        Action<int>? epochStarting, CancellationToken cancellation) =>
        prefetch
            ? new BatchPrefetcher(walk, cursor, rng, epochStarting, cancellation)
            : new SynchronousBatches(walk, cursor, rng.Augmentation, epochStarting, cancellation);
}
