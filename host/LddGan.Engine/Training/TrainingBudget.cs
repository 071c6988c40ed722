using static TorchSharp.torch;

namespace LddGan.Engine.Training;

/// <summary>Small pieces both trainers share: the step budget and switching a network's gradients on or off.</summary>
internal static class TrainingBudget
{
    /// <summary>All batches of all epochs, or fewer when max_steps (&gt; 0) says so.</summary>
    public static long TotalSteps(int batchesPerEpoch, int numEpochs, long maxSteps)
    {
        long all = (long)batchesPerEpoch * numEpochs;
        return maxSteps > 0 ? Math.Min(all, maxSteps) : all;
    }

    /// <summary>Freezes or unfreezes every parameter (e.g. D during the generator's update).</summary>
    public static void SetRequiresGrad(nn.Module module, bool requiresGrad)
    {
        foreach (var p in module.parameters()) p.requires_grad = requiresGrad;
    }
}
