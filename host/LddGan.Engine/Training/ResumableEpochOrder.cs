using TorchSharp;
using static TorchSharp.torch;

namespace LddGan.Engine.Training;

/// <summary>Where a trainer stands: step, epoch, batch within the epoch, and the data-order stream at the epoch's start.</summary>
public sealed record TrainerPosition(long GlobalStep, int Epoch, int BatchInEpoch, byte[]? DataOrderAtEpochStart);

/// <summary>
/// The shuffled order of one epoch, reproducible after a resume: the data-order stream's state is remembered at the
/// start of each epoch, so a run resumed mid-epoch rebuilds the same permutation and leaves the stream where the
/// uninterrupted run would have.
/// </summary>
public sealed class ResumableEpochOrder(Generator dataOrder)
{
    /// <summary>The stream's state at the start of the current epoch; null between epochs.</summary>
    public byte[]? StateAtEpochStart { get; set; }

    public long[] Permutation(long count)
    {
        if (StateAtEpochStart is null)
        {
            using var state = dataOrder.get_state();
            StateAtEpochStart = state.data<byte>().ToArray();
        }
        else
        {
            using var state = torch.tensor(StateAtEpochStart);
            dataOrder.set_state(state);
        }
        using var permutation = randperm(count, generator: dataOrder);
        return permutation.data<long>().ToArray();
    }

    public void EpochFinished() => StateAtEpochStart = null;
}
