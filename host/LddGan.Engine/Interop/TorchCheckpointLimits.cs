namespace LddGan.Engine.Interop;

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

    /// <summary>Largest total of tensor storage bytes loaded from one file.</summary>
    public long MaxTotalStorageBytes { get; init; } = 32L << 30;

    /// <summary>Most dimensions of one tensor.</summary>
    public int MaxTensorDimensions { get; init; } = 64;

    public static TorchCheckpointLimits Default { get; } = new();
}
