using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Training;

/// <summary>Where a trainer stands: step, epoch, batch within the epoch, and the data-order stream at the epoch's start.</summary>
public sealed record TrainerPosition(long GlobalStep, int Epoch, int BatchInEpoch, byte[]? DataOrderAtEpochStart);

/// <summary>
/// The walk through the data shared by both trainers: epochs of shuffled batches, resumable in the middle of an epoch.
/// The data-order stream's state is remembered at the start of each epoch, so a resumed run rebuilds the same
/// permutation and leaves the stream where the uninterrupted run would have.
/// </summary>
public sealed class EpochCursor(Generator dataOrder)
{
    private byte[]? _stateAtEpochStart;

    public int Epoch { get; private set; }
    public int BatchInEpoch { get; private set; }

    public TrainerPosition At(long globalStep) => new(globalStep, Epoch, BatchInEpoch, _stateAtEpochStart);

    public void Restore(TrainerPosition position)
    {
        Epoch = position.Epoch;
        BatchInEpoch = position.BatchInEpoch;
        _stateAtEpochStart = position.DataOrderAtEpochStart;
    }

    /// <summary>
    /// The dataset indices of each batch, from where the cursor stands, until <paramref name="numEpochs"/> are done or
    /// <paramref name="budgetLeft"/> says stop. The cursor counts a batch as done when it is handed out, so a checkpoint
    /// written after its step resumes with the next one. <paramref name="epochStarting"/> sees each epoch's number first.
    /// </summary>
    public IEnumerable<long[]> Batches(long count, int batchSize, int numEpochs, Func<bool> budgetLeft,
                                       CancellationToken cancellation, Action<int>? epochStarting = null)
    {
        int batchesPerEpoch = (int)(count / batchSize);
        while (Epoch < numEpochs && budgetLeft())
        {
            epochStarting?.Invoke(Epoch);
            long[] order = Permutation(count);
            while (BatchInEpoch < batchesPerEpoch && budgetLeft())
            {
                cancellation.ThrowIfCancellationRequested();
                var batch = order.AsSpan(BatchInEpoch * batchSize, batchSize).ToArray();
                BatchInEpoch++;
                yield return batch;
            }
            if (BatchInEpoch >= batchesPerEpoch)
            {
                Epoch++;
                BatchInEpoch = 0;
                _stateAtEpochStart = null;
            }
        }
    }

    private long[] Permutation(long count)
    {
        if (_stateAtEpochStart is null)
        {
            using var state = dataOrder.get_state();
            _stateAtEpochStart = state.data<byte>().ToArray();
        }
        else
        {
            using var state = torch.tensor(_stateAtEpochStart);
            dataOrder.set_state(state);
        }
        using var permutation = randperm(count, generator: dataOrder);
        return permutation.data<long>().ToArray();
    }
}
