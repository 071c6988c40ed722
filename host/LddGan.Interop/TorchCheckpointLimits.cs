using LddGan.Engine.Runtime;

namespace LddGan.Interop;

/// <summary>
/// Bounds that keep a hostile or damaged checkpoint from exhausting memory or the call stack. The defaults fit any
/// ordinary model checkpoint; raise them deliberately for very large files.
/// </summary>
public sealed record TorchCheckpointLimits
{
    /// <summary>Deepest nesting of containers allowed in the pickled object tree.</summary>
    public int MaxDepth { get; init; } = 1000;

    /// <summary>Largest <c>data.pkl</c> record read (the object tree, not the tensor data).</summary>
    public long MaxPickleBytes { get; init; } = 256L << 20;

    /// <summary>Most values on the machine's stack at once (pickle batches containers in groups of 1000).</summary>
    public int MaxStackLength { get; init; } = 1_000_000;

    /// <summary>
    /// Largest total of tensor storage bytes in one file, checked against the sizes its zip declares before anything is
    /// inflated. The default is the memory available when the limits are made, at most <see cref="HardStorageCap"/>.
    /// </summary>
    public long MaxTotalStorageBytes { get; init; } = Math.Min(HardStorageCap, MachineMemory.AvailableBytes());

    /// <summary>The default's ceiling on any machine: far above any DDGAN-family checkpoint (the largest is ~1 GB).</summary>
    public const long HardStorageCap = 32L << 30;

    /// <summary>Most dimensions of one tensor.</summary>
    public int MaxTensorDimensions { get; init; } = 64;

    /// <summary>The defaults, with the storage cap taken from the memory available now.</summary>
    public static TorchCheckpointLimits Default => new();
}
